package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// bindEnv lets every flag of cmd be set from the environment: --sweep-interval
// from PREFIX_SWEEP_INTERVAL, and so on. A flag given on the command line
// wins over its variable; the variable wins over the default. Each flag's
// help names its variable, so `--help` lists them all. It wraps cmd's
// PreRunE, so call it after that is set.
func bindEnv(cmd *cobra.Command, prefix string) {
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		if name := envName(prefix, f.Name); !strings.Contains(f.Usage, name) {
			f.Usage += " (env " + name + ")"
		}
	})
	next := cmd.PreRunE
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		if err := applyEnv(cmd.Flags(), prefix, os.LookupEnv); err != nil {
			return err
		}
		if next != nil {
			return next(cmd, args)
		}
		return nil
	}
}

// envName is the variable of a flag: --smtp-host is PREFIX_SMTP_HOST.
func envName(prefix, flag string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets every flag not given on the command line whose variable
// lookup finds. A repeatable flag takes a comma-separated list.
func applyEnv(fs *pflag.FlagSet, prefix string, lookup func(string) (string, bool)) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		name := envName(prefix, f.Name)
		v, ok := lookup(name)
		if !ok {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = fmt.Errorf("$%s=%q: %v", name, v, e)
		}
	})
	return err
}
