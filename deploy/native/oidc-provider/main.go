// Command oidc-provider runs a real OpenID Connect provider on loopback, for the tests and the demo:
// the OpenID Provider of github.com/zitadel/oidc (an OpenID-certified Go library) with the in-memory
// storage and username/password login page of its example server. This launcher only decides what
// the example's own main hard-codes: the address (127.0.0.1, never all interfaces), the issuer, the
// users and the registered clients.
//
//	OIDC_ADDR        listen address (default 127.0.0.1:5556)
//	OIDC_ISSUER      issuer URL (default http://$OIDC_ADDR/)
//	OIDC_USERS_FILE  JSON object of users by subject (storage.User fields: ID, Username, Password,
//	                 FirstName, LastName, Email, EmailVerified, PreferredLanguage)
//	OIDC_CLIENTS     JSON list of confidential web clients: [{"id", "secret", "redirect_uris": [...]}]
package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

type clientConfig struct {
	ID           string   `json:"id"`
	Secret       string   `json:"secret"`
	RedirectURIs []string `json:"redirect_uris"`
}

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	addr := env("OIDC_ADDR", "127.0.0.1:5556")
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		logger.Error("OIDC_ADDR must be on 127.0.0.1 (loopback only)", "addr", addr)
		os.Exit(2)
	}
	issuer := env("OIDC_ISSUER", "http://"+addr+"/")

	var configs []clientConfig
	if err := json.Unmarshal([]byte(env("OIDC_CLIENTS", "[]")), &configs); err != nil || len(configs) == 0 {
		logger.Error("OIDC_CLIENTS must be a JSON list of {id, secret, redirect_uris}", "error", err)
		os.Exit(2)
	}
	clients := map[string]*storage.Client{}
	for _, c := range configs {
		clients[c.ID] = storage.WebClient(c.ID, c.Secret, c.RedirectURIs...)
	}

	users, err := storage.StoreFromFile(env("OIDC_USERS_FILE", "users.json"))
	if err != nil {
		logger.Error("cannot read OIDC_USERS_FILE", "error", err)
		os.Exit(2)
	}

	router := exampleop.SetupServer(issuer, storage.NewStorageWithClients(users, clients), logger, false)
	server := &http.Server{Addr: addr, Handler: router, ReadHeaderTimeout: 10 * time.Second}
	logger.Info("OpenID provider listening", "addr", addr, "issuer", issuer, "clients", len(clients))
	if err := server.ListenAndServe(); err != http.ErrServerClosed {
		logger.Error("server stopped", "error", err)
		os.Exit(1)
	}
}
