package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/cliout"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/qbdsim/server"
	"github.com/qbconnect/qbconnect/signing"
)

// verifierFlags configure the simulator's trust in calling programs.
type verifierFlags struct {
	roots   string
	crls    []string
	revoked []string
}

func (v *verifierFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&v.roots, "roots", "", "PEM file of trusted root certificates for program signatures (default: the system's roots)")
	cmd.Flags().StringArrayVar(&v.crls, "crl", nil, "certificate revocation list (PEM or DER); repeatable")
	cmd.Flags().StringArrayVar(&v.revoked, "revoked", nil, "thumbprint (SHA-1 or SHA-256 hex) of a revoked certificate; repeatable")
}

func (v *verifierFlags) verifier(logger *slog.Logger) (*signing.Verifier, error) {
	ver := &signing.Verifier{Logger: logger, RevokedThumbprints: v.revoked}
	if v.roots != "" {
		pool, err := signing.LoadCertPool(v.roots)
		if err != nil {
			return nil, err
		}
		ver.Roots = pool
	}
	for _, p := range v.crls {
		crl, err := signing.LoadCRL(p)
		if err != nil {
			return nil, err
		}
		ver.CRLs = append(ver.CRLs, crl)
	}
	return ver, nil
}

func newServeCmd() *cobra.Command {
	var (
		dir, addr, policy, loginAs string
		allowedHosts               []string
		personal                   bool
		perRequest, perRecord      time.Duration
		vf                         verifierFlags
		log                        *cliout.Log
	)
	cmd := &cobra.Command{
		Use:   "serve --dir DIR [--addr 127.0.0.1:8765]",
		Short: "Run the simulated QuickBooks: request processor API, control API and web UI",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger := log.Logger(cmd.ErrOrStderr())
			p, err := qbdsim.ParsePolicy(policy)
			if err != nil {
				return err
			}
			p.LoginAs, p.PersonalData = loginAs, personal
			ver, err := vf.verifier(logger)
			if err != nil {
				return err
			}
			tok := token(cmd)
			if !server.IsLoopback(addr) {
				if tok == "" {
					return fmt.Errorf("refusing to listen on %s, beyond loopback, without --token: anyone who reaches it could drive QuickBooks through the control API; pass --token SECRET (or $QBDSIM_TOKEN; the qbdsim commands send it from the same variable), or listen on 127.0.0.1", addr)
				}
				logger.Warn("qbdsim: the control API needs the token; the web UI and the request processor (/rp/v1) do not: keep this address on a network you trust")
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			sim, err := qbdsim.New(qbdsim.Options{Dir: dir, Logger: logger, Verifier: ver, Policy: p,
				Latency: companyfile.Latency{PerRequest: perRequest, PerRecord: perRecord}})
			if err != nil {
				return err
			}
			defer sim.Close()
			// Programs are verified by the simulator's clock, which
			// `qbdsim clock set` moves; set before anything is verified.
			ver.Now = sim.Now
			h := server.NewWithOptions(sim, server.Options{Logger: logger, Token: tok, AllowedHosts: allowedHosts})
			return server.Serve(cmd.Context(), addr, h, logger, func(a net.Addr) {
				fmt.Fprintf(cmd.OutOrStdout(), "qbdsim: QuickBooks simulator on http://%s (company files in %s)\n", a, sim.Dir())
			})
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory of company files (*.QBW); required")
	cmd.MarkFlagRequired("dir")
	cmd.Flags().StringVar(&addr, "addr", envOr("QBDSIM_ADDR", server.DefaultAddr), "address to listen on (keep it on loopback; beyond it --token is required)")
	cmd.Flags().String("token", "", "require this bearer token on the control API (env QBDSIM_TOKEN); required to listen beyond loopback")
	cmd.Flags().StringArrayVar(&allowedHosts, "allowed-host", nil, "host name, besides IP addresses and localhost, that requests may name (others are refused as DNS rebinding); repeatable")
	cmd.Flags().StringVar(&policy, "policy", "ask", "answer authorization dialogs automatically: ask, always, whenever-open, prompt-each-time, deny")
	cmd.Flags().StringVar(&loginAs, "policy-login-as", "", "user the \"always\" policy lets applications log in as (default Admin)")
	cmd.Flags().BoolVar(&personal, "policy-personal-data", false, "the policy allows personal data")
	cmd.Flags().DurationVar(&perRequest, "latency-request", 0, "latency added to every request")
	cmd.Flags().DurationVar(&perRecord, "latency-record", 0, "latency added per record returned or written")
	log = cliout.AddLog(cmd, "info")
	cliout.AddVerboseAlias(cmd, log)
	vf.add(cmd)
	return cmd
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
