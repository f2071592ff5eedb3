package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

func TestEveryServeFlagIsListedWithItsEnvironmentVariable(t *testing.T) {
	cmd := newServeCmd()
	var help bytes.Buffer
	cmd.SetOut(&help)
	if err := cmd.Help(); err != nil {
		t.Fatal(err)
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		if want := envName("QBCONNECT_", f.Name); !strings.Contains(help.String(), want) {
			t.Errorf("serve --help does not name %s for --%s", want, f.Name)
		}
	})
}

func TestAnEnvironmentVariableSetsAFlagUnlessTheCommandLineDoes(t *testing.T) {
	env := map[string]string{
		"QBCONNECT_SWEEP_INTERVAL": "3s",
		"QBCONNECT_LEASE_TTL":      "7m",
		"QBCONNECT_OPERATOR_EMAIL": "a@example.com,b@example.com",
	}
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	sweep := fs.Duration("sweep-interval", 15*time.Second, "")
	lease := fs.Duration("lease-ttl", 10*time.Minute, "")
	ops := fs.StringSlice("operator-email", nil, "")
	addr := fs.String("addr", "127.0.0.1:8080", "")
	if err := fs.Parse([]string{"--lease-ttl", "1m"}); err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := applyEnv(fs, "QBCONNECT_", lookup); err != nil {
		t.Fatal(err)
	}
	got := []string{sweep.String(), lease.String(), strings.Join(*ops, " "), *addr}
	want := []string{"3s", "1m0s", "a@example.com b@example.com", "127.0.0.1:8080"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flags after the environment (-want +got):\n%s", diff)
	}
}

func TestAMalformedEnvironmentVariableNamesItself(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.Duration("sweep-interval", time.Second, "")
	err := applyEnv(fs, "QBCONNECT_", func(k string) (string, bool) { return "soon", k == "QBCONNECT_SWEEP_INTERVAL" })
	if err == nil || !strings.Contains(err.Error(), "$QBCONNECT_SWEEP_INTERVAL") {
		t.Fatalf("err = %v, want one naming $QBCONNECT_SWEEP_INTERVAL", err)
	}
}
