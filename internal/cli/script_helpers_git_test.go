package cli

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/http/cgi"
	"os/exec"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["gitserve"] = cmdGitServe
}

// cmdGitServe is the script command "gitserve ROOT TOKEN": it serves the
// repositories under ROOT through `git http-backend` on a loopback port
// until the script ends, and sets $GITURL to http://127.0.0.1:PORT. Only
// requests authenticated with TOKEN, as a Basic password or a Bearer
// token, reach git; others get 401 with a Basic challenge.
func cmdGitServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gitserve ROOT TOKEN")
	}
	git, err := exec.LookPath("git")
	ts.Check(err)
	backend := &cgi.Handler{
		Path: git, Args: []string{"http-backend"}, Root: "/",
		Env: []string{"GIT_PROJECT_ROOT=" + ts.MkAbs(args[0]), "GIT_HTTP_EXPORT_ALL=1"},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: requireToken(args[1], backend)}
	go func() { _ = srv.Serve(ln) }()
	ts.Defer(func() { _ = srv.Close() })
	ts.Setenv("GITURL", "http://"+ln.Addr().String())
}

func requireToken(token string, next http.Handler) http.Handler {
	same := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, basic := r.BasicAuth()
		if (basic && same(pass, token)) || same(r.Header.Get("Authorization"), "Bearer "+token) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="keyref-test"`)
		http.Error(w, "token required", http.StatusUnauthorized)
	})
}
