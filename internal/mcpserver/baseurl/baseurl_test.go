package baseurl

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "https://api.example.com/v1", want: "https://api.example.com/v1"},
		{in: "http://127.0.0.1:8080/", want: "http://127.0.0.1:8080/"},
		{in: "https://api.example.com/v1?key=SECRETq", wantErr: "no query or fragment"},
		{in: "https://api.example.com/v1#SECRETf", wantErr: "no query or fragment"},
		{in: "http://api.example.com/", wantErr: "loopback"},
		{in: "api.example.com", wantErr: "--base-url"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) ||
				strings.Contains(err.Error(), "SECRET") {
				t.Errorf("Parse(%q) = %v, want an error about %q without the query", tt.in, err,
					tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
