package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/keyref/keyref/internal/secret"
)

// Kind says what an alias holds.
type Kind string

// The kinds of alias.
const (
	KindToken  Kind = "token"  // a bearer token set by the user
	KindOAuth2 Kind = "oauth2" // tokens obtained and refreshed through OAuth 2.0
)

// Record is everything stored under one alias. Its secrets are
// secret.Secret values, so printing or marshalling a Record as JSON never
// shows them; only EncodeRecord writes them, for the keychain alone.
type Record struct {
	Kind    Kind
	Secret  secret.Secret // the token for KindToken
	Scopes  []string      // URL prefixes, or "*" for any destination
	Note    string
	Created time.Time
	Updated time.Time

	// Username is what the git credential helper answers as the user name.
	Username string
	// Bearer marks the alias for git's authtype=Bearer answer.
	Bearer bool

	OAuth *OAuth // set for KindOAuth2
}

// OAuth holds the state of an OAuth 2.0 alias.
type OAuth struct {
	AccessToken   secret.Secret
	RefreshToken  secret.Secret
	ClientSecret  secret.Secret
	TokenType     string
	Expiry        time.Time
	Issuer        string
	ClientID      string
	TokenURL      string
	DeviceAuthURL string
	RevocationURL string
	Scopes        []string
	// Grant is "device_code" or "client_credentials".
	Grant string
}

// Token returns the value an alias hands out: the token of a token alias
// or the access token of an OAuth alias.
func (r *Record) Token() secret.Secret {
	if r.Kind == KindOAuth2 && r.OAuth != nil {
		return r.OAuth.AccessToken
	}
	return r.Secret
}

// recordVersion is the version of the stored record format. A decoder
// refuses records from a newer version rather than guess at them.
// Version 1 stored every secret as base64; version 2 stores text secrets
// as JSON strings (see wireSecret). Version 1 records are still read.
const recordVersion = 2

// wireRecord is the stored form.
type wireRecord struct {
	V        int        `json:"v"`
	Kind     Kind       `json:"kind"`
	Secret   wireSecret `json:"secret,omitempty"`
	Scopes   []string   `json:"scopes,omitempty"`
	Note     string     `json:"note,omitempty"`
	Created  time.Time  `json:"created"`
	Updated  time.Time  `json:"updated"`
	Username string     `json:"username,omitempty"`
	Bearer   bool       `json:"bearer,omitempty"`
	OAuth    *wireOAuth `json:"oauth,omitempty"`
}

type wireOAuth struct {
	AccessToken   wireSecret `json:"access_token,omitempty"`
	RefreshToken  wireSecret `json:"refresh_token,omitempty"`
	ClientSecret  wireSecret `json:"client_secret,omitempty"`
	TokenType     string     `json:"token_type,omitempty"`
	Expiry        time.Time  `json:"expiry,omitzero"`
	Issuer        string     `json:"issuer,omitempty"`
	ClientID      string     `json:"client_id,omitempty"`
	TokenURL      string     `json:"token_url,omitempty"`
	DeviceAuthURL string     `json:"device_auth_url,omitempty"`
	RevocationURL string     `json:"revocation_url,omitempty"`
	Scopes        []string   `json:"scopes,omitempty"`
	Grant         string     `json:"grant,omitempty"`
}

// ErrCorrupt reports a stored record that cannot be decoded. Its message
// never quotes the stored bytes.
var ErrCorrupt = errors.New("stored record is corrupt")

// EncodeRecord returns the stored form of r, secrets included.
func EncodeRecord(r *Record) ([]byte, error) {
	w := wireRecord{
		V: recordVersion, Kind: r.Kind, Secret: wireOf(r.Secret), Scopes: r.Scopes,
		Note: r.Note, Created: r.Created.UTC(), Updated: r.Updated.UTC(),
		Username: r.Username, Bearer: r.Bearer,
	}
	if o := r.OAuth; o != nil {
		w.OAuth = &wireOAuth{
			AccessToken: wireOf(o.AccessToken), RefreshToken: wireOf(o.RefreshToken),
			ClientSecret: wireOf(o.ClientSecret), TokenType: o.TokenType,
			Expiry: o.Expiry.UTC(), Issuer: o.Issuer, ClientID: o.ClientID,
			TokenURL: o.TokenURL, DeviceAuthURL: o.DeviceAuthURL,
			RevocationURL: o.RevocationURL, Scopes: o.Scopes, Grant: o.Grant,
		}
	}
	return marshal(w)
}

// DecodeRecord parses a stored record. It fails with ErrCorrupt for
// malformed input and for a version newer than this build knows.
func DecodeRecord(b []byte) (*Record, error) {
	var w wireRecord
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%w: not a record", ErrCorrupt)
	}
	switch w.V {
	case recordVersion:
	case 1:
		if err := w.fromVersion1(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: unknown record version %d", ErrCorrupt, w.V)
	}
	switch w.Kind {
	case KindToken:
	case KindOAuth2:
		if w.OAuth == nil {
			return nil, fmt.Errorf("%w: oauth2 record without oauth state", ErrCorrupt)
		}
	default:
		return nil, fmt.Errorf("%w: unknown kind", ErrCorrupt)
	}
	r := &Record{
		Kind: w.Kind, Secret: secret.New(string(w.Secret)), Scopes: w.Scopes, Note: w.Note,
		Created: w.Created, Updated: w.Updated, Username: w.Username, Bearer: w.Bearer,
	}
	if o := w.OAuth; o != nil {
		r.OAuth = &OAuth{
			AccessToken:  secret.New(string(o.AccessToken)),
			RefreshToken: secret.New(string(o.RefreshToken)),
			ClientSecret: secret.New(string(o.ClientSecret)), TokenType: o.TokenType,
			Expiry: o.Expiry, Issuer: o.Issuer, ClientID: o.ClientID, TokenURL: o.TokenURL,
			DeviceAuthURL: o.DeviceAuthURL, RevocationURL: o.RevocationURL,
			Scopes: o.Scopes, Grant: o.Grant,
		}
	}
	return r, nil
}

// fromVersion1 decodes the secrets of a version 1 record, which held
// each one as a base64 JSON string.
func (w *wireRecord) fromVersion1() error {
	fields := []*wireSecret{&w.Secret}
	if o := w.OAuth; o != nil {
		fields = append(fields, &o.AccessToken, &o.RefreshToken, &o.ClientSecret)
	}
	for _, f := range fields {
		b, err := base64.StdEncoding.DecodeString(string(*f))
		if err != nil {
			return fmt.Errorf("%w: version 1 secret is not base64", ErrCorrupt)
		}
		*f = wireSecret(b)
	}
	return nil
}

func wireOf(s secret.Secret) wireSecret { return wireSecret(s.Reveal()) }

// wireSecret is a secret as stored: a JSON string when it is valid UTF-8,
// which keeps a token's stored size close to its own (the Secret Service
// reads large items markedly slower), else {"b64": "..."}, so that any
// byte sequence round-trips exactly.
type wireSecret string

type wireBinary struct {
	B64 []byte `json:"b64"`
}

// MarshalJSON implements json.Marshaler.
func (w wireSecret) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(w)) {
		return marshal(string(w))
	}
	return marshal(wireBinary{B64: []byte(w)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (w *wireSecret) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		err := json.Unmarshal(b, &s)
		*w = wireSecret(s)
		return err
	}
	var bin wireBinary
	err := json.Unmarshal(b, &bin)
	*w = wireSecret(bin.B64)
	return err
}

// marshal encodes v as JSON without escaping <, > and &, which would only
// make stored tokens longer.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
