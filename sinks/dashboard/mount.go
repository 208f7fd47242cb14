package dashboard

import (
	"net/http"

	"go.uber.org/zap"
)

// Mux is where Mount registers the dashboard (an http.ServeMux or the
// ingest edge's server).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Mount serves the dashboard over src on mux under Patterns, behind the
// login with token (RequireToken).
func Mount(mux Mux, src Source, token string, log *zap.Logger) {
	if log == nil {
		log = zap.NewNop()
	}
	h := RequireToken(token, New(src, WithLogger(log.Named("dashboard"))))
	for _, p := range Patterns {
		mux.Handle(p, h)
	}
}
