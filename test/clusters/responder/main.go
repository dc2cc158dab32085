// Command responder is the test nodes' network peer, small and static so it fits in an image
// next to busybox. `responder serve` answers on TCP ports with an HTTP response naming the pod
// (its hostname) and on UDP ports with a datagram naming it; `responder probe tcp|udp HOST:PORT`
// connects to one, prints the answer and exits 0, or exits 1 when nothing answers in time.
// busybox alone has no UDP client or server, and its wget -T crashes in these images.
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "probe":
		os.Exit(probe(os.Args[2:]))
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: responder serve [--tcp PORT,...] [--udp PORT,...]\n       responder probe tcp|udp HOST:PORT [TIMEOUT_SECONDS]")
	os.Exit(2)
}

func ports(list string) []int {
	var out []int
	for _, p := range strings.Split(list, ",") {
		if p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			fmt.Fprintf(os.Stderr, "responder: bad port %q\n", p)
			os.Exit(2)
		}
		out = append(out, n)
	}
	return out
}

func serve(args []string) {
	tcp, udp := "8080", "8080"
	for i := 0; i+1 < len(args); i += 2 {
		switch args[i] {
		case "--tcp":
			tcp = args[i+1]
		case "--udp":
			udp = args[i+1]
		default:
			usage()
		}
	}
	name, _ := os.Hostname()
	answer := name + "\n"
	for _, p := range ports(tcp) {
		l, err := net.Listen("tcp", fmt.Sprintf(":%d", p))
		if err != nil {
			fmt.Fprintln(os.Stderr, "responder:", err)
			os.Exit(1)
		}
		srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, answer)
		})}
		go func() { _ = srv.Serve(l) }()
	}
	for _, p := range ports(udp) {
		c, err := net.ListenPacket("udp", fmt.Sprintf(":%d", p))
		if err != nil {
			fmt.Fprintln(os.Stderr, "responder:", err)
			os.Exit(1)
		}
		go func() {
			buf := make([]byte, 512)
			for {
				_, peer, err := c.ReadFrom(buf)
				if err != nil {
					continue
				}
				_, _ = c.WriteTo([]byte(answer), peer)
			}
		}()
	}
	fmt.Printf("serving tcp %s udp %s\n", tcp, udp)
	select {}
}

// probe prints the peer's answer and returns 0, or prints why there was none and returns 1.
func probe(args []string) int {
	if len(args) < 2 || (args[0] != "tcp" && args[0] != "udp") {
		usage()
	}
	timeout := 2 * time.Second
	if len(args) > 2 {
		s, err := strconv.ParseFloat(args[2], 64)
		if err != nil || s <= 0 {
			usage()
		}
		timeout = time.Duration(s * float64(time.Second))
	}
	deadline := time.Now().Add(timeout)
	conn, err := net.DialTimeout(args[0], args[1], timeout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "responder:", err)
		return 1
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline)
	var answer string
	if args[0] == "tcp" {
		if _, err = io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n"); err == nil {
			var res *http.Response
			if res, err = http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
				var body []byte
				body, err = io.ReadAll(res.Body)
				answer = string(body)
			}
		}
	} else {
		if _, err = conn.Write([]byte("ping")); err == nil {
			buf := make([]byte, 512)
			var n int
			n, err = conn.Read(buf)
			answer = string(buf[:n])
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "responder:", err)
		return 1
	}
	fmt.Print(answer)
	return 0
}
