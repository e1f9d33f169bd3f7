// Command hm-s3 is the S3-compatible test server of Harbormaster's loader
// tests: gofakes3 (in memory) behind a front that checks AWS Signature
// Version 4, so a wrong key or secret is really refused. Loopback and TLS only.
//
//	hm-s3 -cert tls.crt -key tls.key -access-key AK -secret-key SK \
//	      -buckets private,public -public public [-addr 127.0.0.1:0]
//
// It prints "listening https://127.0.0.1:PORT" on stdout once it accepts
// connections. Anonymous requests may only read (GET, HEAD) the buckets named
// in -public; every other request must be signed with -access-key/-secret-key.
// Chunk signatures of streamed uploads are not checked (the request signature is).
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

type front struct {
	accessKey, secretKey string
	public               map[string]bool
	next                 http.Handler
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func deny(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	authz := r.Header.Get("Authorization")
	if authz == "" && r.URL.Query().Get("X-Amz-Signature") == "" {
		bucket := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && f.public[bucket] {
			f.next.ServeHTTP(w, r)
			return
		}
		deny(w, "AccessDenied", "Access Denied")
		return
	}
	if code, msg := f.verify(r, authz); code != "" {
		deny(w, code, msg)
		return
	}
	f.next.ServeHTTP(w, r)
}

// awsEscape encodes as SigV4 wants: everything but A-Z a-z 0-9 - _ . ~.
func awsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func canonicalQuery(raw string) string {
	values, _ := url.ParseQuery(raw)
	var pairs []string
	for k, vs := range values {
		if k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, awsEscape(k)+"="+awsEscape(v))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return v
		}
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vals := r.Header.Values(name)
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func (f *front) verify(r *http.Request, authz string) (string, string) {
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(authz, algo) {
		return "AccessDenied", "only AWS4-HMAC-SHA256 request signatures are accepted"
	}
	parts := map[string]string{}
	for _, p := range strings.Split(strings.TrimPrefix(authz, algo), ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok {
			parts[k] = v
		}
	}
	cred := strings.Split(parts["Credential"], "/")
	if len(cred) != 5 || cred[4] != "aws4_request" {
		return "AuthorizationHeaderMalformed", "bad Credential"
	}
	if cred[0] != f.accessKey {
		return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || !strings.HasPrefix(amzDate, cred[1]) {
		return "AccessDenied", "missing or bad X-Amz-Date"
	}
	if d := time.Since(t); d > 15*time.Minute || d < -15*time.Minute {
		return "RequestTimeTooSkewed", "request time too skewed"
	}
	signed := strings.Split(parts["SignedHeaders"], ";")
	var ch strings.Builder
	for _, h := range signed {
		ch.WriteString(h + ":" + headerValue(r, h) + "\n")
	}
	path, query, _ := strings.Cut(r.RequestURI, "?")
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = "UNSIGNED-PAYLOAD"
	}
	creq := strings.Join([]string{r.Method, path, canonicalQuery(query), ch.String(), parts["SignedHeaders"], payload}, "\n")
	sum := sha256.Sum256([]byte(creq))
	scope := strings.Join(cred[1:], "/")
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + f.secretKey)
	for _, s := range cred[1:] {
		key = hmacSHA256(key, s)
	}
	want := hex.EncodeToString(hmacSHA256(key, sts))
	if !hmac.Equal([]byte(want), []byte(parts["Signature"])) {
		return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
	}
	return "", ""
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	cert := flag.String("cert", "", "TLS certificate (PEM)")
	key := flag.String("key", "", "TLS private key (PEM)")
	accessKey := flag.String("access-key", "", "the one accepted access key id")
	secretKey := flag.String("secret-key", os.Getenv("HM_S3_SECRET_KEY"), "its secret (or HM_S3_SECRET_KEY)")
	buckets := flag.String("buckets", "", "buckets to create, comma-separated")
	public := flag.String("public", "", "buckets anonymous clients may read, comma-separated")
	flag.Parse()
	if *cert == "" || *key == "" || *accessKey == "" || *secretKey == "" {
		log.Fatal("-cert, -key, -access-key and -secret-key are required")
	}
	host, _, err := net.SplitHostPort(*addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Fatalf("-addr %q: only loopback addresses", *addr)
	}
	backend := s3mem.New()
	for _, b := range splitList(*buckets) {
		if err := backend.CreateBucket(b); err != nil {
			log.Fatalf("create bucket %s: %v", b, err)
		}
	}
	pub := map[string]bool{}
	for _, b := range splitList(*public) {
		pub[b] = true
	}
	s3 := gofakes3.New(backend, gofakes3.WithoutVersioning(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening https://%s\n", ln.Addr().String())
	srv := &http.Server{Handler: &front{accessKey: *accessKey, secretKey: *secretKey, public: pub, next: s3.Server()}, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ServeTLS(ln, *cert, *key))
}
