package sigv4

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// newTestServer starts an HTTP server that reads the body and calls h; it
// returns the server's base URL.
func newTestServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request, body []byte)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h(w, r, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
