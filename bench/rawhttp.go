package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
)

// rawClient is a minimal HTTP/1.1 keep-alive client for load generation:
// Go's http.Client costs as much CPU as the server it measures, and on two
// cores the generator would then measure itself.
type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
	buf  []byte
}

func dialRaw(addr string) (*rawClient, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &rawClient{conn: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
}

// rawGET is the bytes of an authenticated GET request.
func rawGET(host, path, key string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + key + "\r\n\r\n")
}

// get sends one GET and returns the status and body (valid until the next call).
func (c *rawClient) get(host, path, key string) (int, []byte, error) {
	return c.do(rawGET(host, path, key))
}

// do sends one request (built by rawGET) and reads its answer: the status
// and body (valid until the next call). A response must have a
// Content-Length, as every answer of trawl's has.
func (c *rawClient) do(req []byte) (int, []byte, error) {
	if _, err := c.conn.Write(req); err != nil {
		return 0, nil, err
	}
	status, length := 0, -1
	for first := true; ; first = false {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if first {
			if len(line) < 12 {
				return 0, nil, fmt.Errorf("bad status line %q", line)
			}
			status = int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
			continue
		}
		if len(line) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			length = 0
			for _, d := range bytes.TrimSpace(v) {
				if d < '0' || d > '9' {
					return 0, nil, fmt.Errorf("bad Content-Length %q", v)
				}
				length = length*10 + int(d-'0')
			}
		}
	}
	if length < 0 {
		return 0, nil, fmt.Errorf("response without Content-Length")
	}
	if cap(c.buf) < length {
		c.buf = make([]byte, length)
	}
	body := c.buf[:length]
	_, err := io.ReadFull(c.r, body)
	return status, body, err
}
