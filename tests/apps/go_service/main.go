// A Go web service as App Platform runs it: it listens on $PORT and answers / and /health.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"

	"github.com/example/greeter/internal/greeting"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<h1>%s</h1><p>%s</p>\n", greeting.Text, runtime.Version())
	})
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	log.Printf("greeter listening on %s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
