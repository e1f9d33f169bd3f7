// Command hm-gcs is the GCS test server of Harbormaster's loader tests:
// fake-gcs-server (in memory) behind a front that checks the bearer token, so
// a credential the server does not know is really refused. Loopback and TLS only.
//
//	hm-gcs -cert tls.crt -key tls.key -account loader@p.iam.gserviceaccount.com=sa.pub.pem \
//	       -buckets private,public -public public [-addr 127.0.0.1:0]
//
// A token is a self-signed service-account JWT (RS256; what google-auth-library
// sends with useJWTAccessWithScope): accepted when its iss is an -account and its
// signature verifies with that account's public key and it has not expired.
// Anonymous requests may only read (GET, HEAD) the buckets named in -public.
// It prints "listening https://127.0.0.1:PORT" on stdout.
package main

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

type accounts map[string]*rsa.PublicKey

func (a accounts) String() string { return fmt.Sprint(len(a)) }

func (a accounts) Set(v string) error {
	email, file, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want email=public-key.pem")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return fmt.Errorf("%s: no PEM block", file)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return err
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%s: not an RSA public key", file)
	}
	a[email] = rsaPub
	return nil
}

type front struct {
	accounts accounts
	public   map[string]bool
	next     http.Handler
}

func deny(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": msg}})
}

func bucketOf(path string) string {
	for _, p := range []string{"/storage/v1/b/", "/download/storage/v1/b/", "/upload/storage/v1/b/"} {
		if strings.HasPrefix(path, p) {
			return strings.SplitN(strings.TrimPrefix(path, p), "/", 2)[0]
		}
	}
	return strings.SplitN(strings.TrimPrefix(path, "/"), "/", 2)[0]
}

func (f *front) verify(token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a JWT")
	}
	var header struct{ Alg string }
	var claims struct {
		Iss string
		Exp int64
	}
	for i, into := range []any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return fmt.Errorf("bad JWT encoding")
		}
		if err := json.Unmarshal(raw, into); err != nil {
			return fmt.Errorf("bad JWT")
		}
	}
	pub := f.accounts[claims.Iss]
	if header.Alg != "RS256" || pub == nil {
		return fmt.Errorf("unknown service account")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("bad JWT signature encoding")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return fmt.Errorf("invalid JWT signature")
	}
	if time.Now().Unix() > claims.Exp {
		return fmt.Errorf("token expired")
	}
	return nil
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && f.public[bucketOf(r.URL.Path)] {
			f.next.ServeHTTP(w, r)
			return
		}
		deny(w, http.StatusUnauthorized, "Anonymous caller does not have storage.objects.list access.")
		return
	}
	token, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok {
		deny(w, http.StatusUnauthorized, "Invalid Credentials")
		return
	}
	if err := f.verify(token); err != nil {
		deny(w, http.StatusUnauthorized, "Invalid Credentials: "+err.Error())
		return
	}
	f.next.ServeHTTP(w, r)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	cert := flag.String("cert", "", "TLS certificate (PEM)")
	key := flag.String("key", "", "TLS private key (PEM)")
	buckets := flag.String("buckets", "", "buckets to create, comma-separated")
	public := flag.String("public", "", "buckets anonymous clients may read, comma-separated")
	accts := accounts{}
	flag.Var(accts, "account", "email=public-key.pem of an accepted service account (repeatable)")
	flag.Parse()
	if *cert == "" || *key == "" {
		log.Fatal("-cert and -key are required")
	}
	host, _, err := net.SplitHostPort(*addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Fatalf("-addr %q: only loopback addresses", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	url := "https://" + ln.Addr().String()
	server, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, ExternalURL: url, PublicHost: ln.Addr().String()})
	if err != nil {
		log.Fatal(err)
	}
	pub := map[string]bool{}
	for _, b := range strings.Split(*buckets, ",") {
		if b = strings.TrimSpace(b); b != "" {
			server.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: b})
		}
	}
	for _, b := range strings.Split(*public, ",") {
		pub[strings.TrimSpace(b)] = true
	}
	fmt.Printf("listening %s\n", url)
	srv := &http.Server{Handler: &front{accounts: accts, public: pub, next: server.HTTPHandler()}, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ServeTLS(ln, *cert, *key))
}
