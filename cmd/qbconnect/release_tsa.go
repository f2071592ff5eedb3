package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/cliout"
	"github.com/qbconnect/qbconnect/signing"
)

// releaseTSACmd returns `qbconnect release tsa`: an RFC 3161 time-stamping
// authority for staging and tests. Production releases are stamped by a
// public authority whose root Windows trusts.
func releaseTSACmd(env releaseEnv) *cobra.Command {
	var addr, certFile, keyFile, chainFile string
	var log *cliout.Log
	cmd := &cobra.Command{
		Use:   "tsa --addr HOST:PORT --cert CERT --key KEY [--chain FILE]",
		Short: "Run an RFC 3161 time-stamping authority (staging and tests)",
		Long: "Serve RFC 3161 timestamps over HTTP at http://HOST:PORT/ until interrupted, signed with\n" +
			"CERT and its KEY (PEM). CERT must carry the time-stamping extended key usage\n" +
			"(1.3.6.1.5.5.7.3.8), critical, as OpenSSL and Windows require. Point\n" +
			"`qbconnect release sign --timestamp-url` or `osslsigncode sign -ts` at it. Verifiers must\n" +
			"trust CERT's root for time stamping (`release verify --roots` or --timestamp-roots).\n" +
			"Use port 0 to pick a free port; the URL is printed on the first line.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if addr == "" || certFile == "" || keyFile == "" {
				return errors.New("release tsa: --addr, --cert and --key are required")
			}
			tsa, err := signing.LoadTimestampAuthority(certFile, keyFile, chainFile)
			if err != nil {
				return fmt.Errorf("release tsa: %w", err)
			}
			tsa.Now = env.now
			tsa.Logger = log.Logger(cmd.ErrOrStderr())
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("release tsa: %w", err)
			}
			srv := &http.Server{Handler: tsa, ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(cmd.OutOrStdout(), "timestamp authority %q listening on http://%s/\n", tsa.Certificate.Subject.CommonName, ln.Addr())
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return fmt.Errorf("release tsa: %w", err)
			case <-ctx.Done():
				shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := srv.Shutdown(shut); err != nil {
					return fmt.Errorf("release tsa: %w", err)
				}
				<-done
				return nil
			}
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:3161", "address to listen on, HOST:PORT")
	fl.StringVar(&certFile, "cert", "", "the authority's certificate, PEM, with the time-stamping usage (required)")
	fl.StringVar(&keyFile, "key", "", "private key of the certificate, PEM (required)")
	fl.StringVar(&chainFile, "chain", "", "intermediate CA certificates to embed in tokens, PEM")
	log = cliout.AddLog(cmd, "info")
	return cmd
}
