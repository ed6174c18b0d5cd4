package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLineCap(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"short lines pass", "ab\ncd\n", "ab\ncd\n"},
		{"exactly max", "abcd\nx", "abcd\nx"},
		{"long line cut", "abcdefgh\nxy\n", "abcd!\nxy\n"},
		{"long last line", "xy\nabcdefgh", "xy\nabcd!\n"},
		{"two long lines", "abcdef\nghijkl\n", "abcd!\nghij!\n"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		for _, one := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tt.in)
			if one {
				r = iotest.OneByteReader(r)
			}
			got, err := io.ReadAll(newLineCap(r, 4))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("%s (one byte reads %v): (-want +got):\n%s", tt.name, one, diff)
			}
		}
	}
}

// TestServeSurvivesAHugeLine sends a 40 MB line and then a request: the
// request is answered, the long line costs a bounded amount of memory, and
// the server ends soon after stdin does.
func TestServeSurvivesAHugeLine(t *testing.T) {
	s := newHarness(t, noConfig, nil).server
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	go func() { done <- s.Serve(context.Background(), inR, outW, io.Discard) }()

	go func() {
		chunk := bytes.Repeat([]byte(`{"x":"`), 64<<10/6)
		for sent := 0; sent < 40<<20; sent += len(chunk) {
			if _, err := inW.Write(chunk); err != nil {
				return
			}
		}
		_, _ = io.WriteString(inW, "\n"+`{"jsonrpc":"2.0","id":2,"method":"ping"}`+"\n")
	}()
	lines := bufio.NewScanner(outR)
	var got []string
	for len(got) < 2 && lines.Scan() {
		var msg struct {
			ID    any `json:"id"`
			Error *struct {
				Code int `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(lines.Bytes(), &msg); err != nil {
			t.Fatalf("stdout is not JSON-RPC: %v", err)
		}
		switch {
		case msg.Error != nil && msg.Error.Code == -32700:
			got = append(got, "parse error")
		case msg.ID == float64(2) && msg.Error == nil:
			got = append(got, "ping answered")
		}
	}
	runtime.ReadMemStats(&after)
	if diff := cmp.Diff([]string{"parse error", "ping answered"}, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 5*maxLine {
		t.Errorf("a 40 MB line cost %d MB of allocations, want at most %d",
			alloc>>20, 5*maxLine>>20)
	}

	start := time.Now()
	_ = inW.Close()
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not end within 2s of stdin closing")
	}
	t.Logf("ended %v after stdin closed; %d MB allocated",
		time.Since(start).Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>20)
}
