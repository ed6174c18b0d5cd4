package gitcred

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/keyref/keyref/internal/secret"
)

var secretEqual = cmp.Comparer(func(a, b secret.Secret) bool { return a.Equal(b) })

const canary = "CANARYgitcredTOKEN"

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Request
	}{
		{
			name: "blank line ends the input",
			in:   "protocol=https\nhost=git.example.com\n\nprotocol=http\n",
			want: &Request{Protocol: "https", Host: "git.example.com"},
		},
		{
			name: "EOF without a final newline",
			in:   "protocol=https\nhost=git.example.com",
			want: &Request{Protocol: "https", Host: "git.example.com"},
		},
		{
			name: "CRLF line endings",
			in:   "protocol=https\r\nhost=git.example.com:8443\r\npath=org/repo.git\r\n\r\n",
			want: &Request{
				Protocol: "https", Host: "git.example.com", Port: "8443", Path: "org/repo.git",
			},
		},
		{
			name: "split at the first equals sign",
			in:   "username=a=b\npassword==" + canary + "=\n",
			want: &Request{Username: "a=b", Password: secret.New("=" + canary + "=")},
		},
		{
			name: "unknown keys are ignored",
			in: "protocol=https\nwwwauth[]=Basic realm=\"x\"\nstate[]=foo\nephemeral=1\n" +
				"future-key=1\nhost=h.example\n",
			want: &Request{Protocol: "https", Host: "h.example"},
		},
		{
			name: "capabilities collect and an empty one clears",
			in:   "capability[]=state\ncapability[]=\ncapability[]=authtype\n",
			want: &Request{Capabilities: []string{"authtype"}},
		},
		{
			name: "url is expanded into its parts",
			in:   "host=old.example\npath=old\nurl=https://bob@git.example.com:444/org/repo.git/\n",
			want: &Request{
				Protocol: "https", Host: "git.example.com", Port: "444",
				Path: "org/repo.git", Username: "bob",
			},
		},
		{
			name: "url without a path leaves none",
			in:   "path=old\nurl=https://git.example.com\n",
			want: &Request{Protocol: "https", Host: "git.example.com"},
		},
		{
			name: "IPv6 host with port",
			in:   "host=[::1]:8080\n",
			want: &Request{Host: "::1", Port: "8080"},
		},
		{
			name: "password expiry",
			in:   "password_expiry_utc=1700000000\n",
			want: &Request{PasswordExpiry: time.Unix(1700000000, 0).UTC()},
		},
		{
			name: "pre-encoded credential",
			in:   "authtype=Bearer\ncredential=" + canary + "\n",
			want: &Request{AuthType: "Bearer", Credential: secret.New(canary)},
		},
		{
			name: "empty input",
			in:   "",
			want: &Request{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, secretEqual); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRefusesWithoutEchoing(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"line without equals", "protocol=https\n" + canary + "\n", "line 2 has no '='"},
		{"NUL byte", "password=" + canary + "\x00x\n", "line 1 holds a NUL byte"},
		{"long line", "password=" + canary + strings.Repeat("x", MaxLine) + "\n", "longer than"},
		{"long unterminated line", "password=" + strings.Repeat("x", 3*MaxLine), "longer than"},
		{"bad url", "url=" + canary + "\n", "url= is not a URL"},
		{"host with a fragment", "host=" + canary + "#.evil.com\n", "host holds"},
		{"host with a query", "host=" + canary + "?.evil.com\n", "host holds"},
		{"host with a slash", "host=" + canary + "/.evil.com\n", "host holds"},
		{"host with userinfo", "host=" + canary + "@evil.com\n", "host holds"},
		{"host with a backslash", "host=" + canary + "\\.evil.com\n", "host holds"},
		{"host with a space", "host=" + canary + " .evil.com\n", "host holds"},
		{"host with a tab", "host=" + canary + "\t\n", "host holds"},
		{"host with a control character", "host=" + canary + "\x7f\n", "host holds"},
		{"protocol holding a URL", "protocol=https://" + canary + "#\n", "protocol is not"},
		{"protocol in upper case", "protocol=HTTPS" + canary + "\n", "protocol is not"},
		{"protocol starting with a digit", "protocol=1" + canary + "\n", "protocol is not"},
		{"url with a backslash host", "url=https://" + canary + "%5c.evil.com/\n", "url= is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			if !errors.Is(err, ErrInput) {
				t.Fatalf("Parse error = %v, want ErrInput", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), canary) {
				t.Errorf("error echoes the input: %q", err)
			}
		})
	}
}

func TestParseLongestLineAccepted(t *testing.T) {
	v := strings.Repeat("x", MaxLine-len("path="))
	got, err := Parse(strings.NewReader("path=" + v + "\r\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.Path != v {
		t.Errorf("path has %d bytes, want %d", len(got.Path), len(v))
	}
}

func TestEncode(t *testing.T) {
	exp := time.Unix(1700000000, 0)
	tests := []struct {
		name string
		a    Answer
		want string
	}{
		{"nothing", Answer{}, ""},
		{
			"password",
			Answer{Username: "x-access-token", Password: secret.New(canary)},
			"username=x-access-token\npassword=" + canary + "\n",
		},
		{
			"password with expiry",
			Answer{Username: "u", Password: secret.New(canary), PasswordExpiry: exp},
			"username=u\npassword=" + canary + "\npassword_expiry_utc=1700000000\n",
		},
		{
			"bearer",
			Answer{AuthType: "Bearer", Credential: secret.New(canary)},
			"capability[]=authtype\nauthtype=Bearer\ncredential=" + canary + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.a.Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Encode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeRefusesLineBreaks(t *testing.T) {
	a := Answer{Username: "u", Password: secret.New(canary + "\nusername=evil")}
	got, err := a.Encode()
	if err == nil || got != nil {
		t.Fatalf("Encode = %q, %v; want an error", got, err)
	}
	if strings.Contains(err.Error(), canary) {
		t.Errorf("error echoes the value: %q", err)
	}
}

func TestFind(t *testing.T) {
	cands := []Candidate{
		{Name: "any", Scopes: []string{"*"}},
		{Name: "host", Scopes: []string{"https://git.example.com/"}},
		{Name: "org", Scopes: []string{"https://git.example.com/org/"}},
		{Name: "team", Scopes: []string{"https://git.example.com/org/team"}},
		{Name: "port", Scopes: []string{"https://git.example.com:8443/"}},
		{Name: "bob", Scopes: []string{"https://bob.example.com/"}, Username: "bob"},
		{Name: "local", Scopes: []string{"http://127.0.0.1:9000/"}},
		{Name: "v6", Scopes: []string{"http://[::1]:9000/", "https://[::1]/"}},
	}
	tests := []struct {
		name string
		req  Request
		want string // "" for no match
	}{
		{"host without path", Request{Protocol: "https", Host: "git.example.com"}, "host"},
		{"host is case-insensitive", Request{Protocol: "https", Host: "Git.Example.COM"}, "host"},
		{"longest prefix wins", Request{Protocol: "https", Host: "git.example.com",
			Path: "org/team/repo.git"}, "team"},
		{"segment boundary", Request{Protocol: "https", Host: "git.example.com",
			Path: "org/teamwork.git"}, "org"},
		{"outside every prefix", Request{Protocol: "https", Host: "git.example.com",
			Path: "other/repo.git"}, "host"},
		{"explicit default port", Request{Protocol: "https", Host: "git.example.com",
			Port: "443"}, "host"},
		{"other port", Request{Protocol: "https", Host: "git.example.com", Port: "8443"}, "port"},
		{"unscoped port", Request{Protocol: "https", Host: "git.example.com", Port: "9"}, ""},
		{"other host", Request{Protocol: "https", Host: "other.example.com"}, ""},
		{"other protocol", Request{Protocol: "http", Host: "git.example.com"}, ""},
		{"ssh never matches", Request{Protocol: "ssh", Host: "git.example.com"}, ""},
		{"dot segments never match", Request{Protocol: "https", Host: "git.example.com",
			Path: "org/../x"}, ""},
		{"user name must agree", Request{Protocol: "https", Host: "bob.example.com",
			Username: "alice"}, ""},
		{"same user name", Request{Protocol: "https", Host: "bob.example.com",
			Username: "bob"}, "bob"},
		{"loopback http", Request{Protocol: "http", Host: "127.0.0.1", Port: "9000"}, "local"},
		{"empty request", Request{}, ""},
		// Requests built by callers other than Parse (docker) are checked
		// by Destination: none of these may pass as git.example.com.
		{"fragment in host", Request{Protocol: "https", Host: "git.example.com#.evil.com"}, ""},
		{"query in host", Request{Protocol: "https", Host: "git.example.com?.evil.com"}, ""},
		{"slash in host", Request{Protocol: "https", Host: "git.example.com/.evil.com"}, ""},
		{"userinfo in host", Request{Protocol: "https", Host: "git.example.com@evil.com"}, ""},
		{"backslash in host", Request{Protocol: "https", Host: "evil.com\\@git.example.com"}, ""},
		{"space in host", Request{Protocol: "https", Host: "git.example.com .evil.com"}, ""},
		{"URL as protocol", Request{Protocol: "https://git.example.com#", Host: "evil.com"}, ""},
		{"URL as protocol with path", Request{Protocol: "https://git.example.com/x?",
			Host: "evil.com"}, ""},
		{"port that is not a number", Request{Protocol: "https", Host: "git.example.com",
			Port: "443#"}, ""},
		{"brackets in host", Request{Protocol: "https", Host: "[git.example.com]"}, ""},
		{"query in path", Request{Protocol: "https", Host: "git.example.com",
			Path: "org/team?x#y"}, "team"},
		{"fragment in path stays in the path", Request{Protocol: "https",
			Host: "git.example.com", Path: "org/team#x"}, "org"},
		{"dot segments after a fragment", Request{Protocol: "https",
			Host: "git.example.com", Path: "org/team#/../../x"}, ""},
		{"IPv6 host", Request{Protocol: "http", Host: "::1", Port: "9000"}, "v6"},
		{"IPv6 host without a port", Request{Protocol: "https", Host: "::1"}, "v6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := Find(&tt.req, cands)
			got := ""
			if ok {
				got = m.Name
			}
			if got != tt.want {
				t.Errorf("Find = %q, want %q", got, tt.want)
			}
		})
	}
}
