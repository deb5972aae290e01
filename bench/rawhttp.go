package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
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

// get sends one GET and returns the status and body (valid until the next call).
func (c *rawClient) get(host, path, key string) (int, []byte, error) {
	c.buf = c.buf[:0]
	c.buf = append(c.buf, "GET "...)
	c.buf = append(c.buf, path...)
	c.buf = append(c.buf, " HTTP/1.1\r\nHost: "...)
	c.buf = append(c.buf, host...)
	c.buf = append(c.buf, "\r\nAuthorization: Bearer "...)
	c.buf = append(c.buf, key...)
	c.buf = append(c.buf, "\r\n\r\n"...)
	if _, err := c.conn.Write(c.buf); err != nil {
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
			status, _ = strconv.Atoi(string(line[9:12]))
			continue
		}
		if len(line) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
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
