package mcpserver

import (
	"strings"
	"testing"
)

func TestEnvNameShown(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"WORK", true},
		{"MyService", true},
		{"a1b2c3d4e5f6", true},
		{"GITHUB_READONLY_PRODUCTION", true},
		{"github_org_prod_v2", true},
		{"ghp_16C7e42F292c6912E7710c838347Ae178B4a", false},
		{"0123456789abcdef0123456789abcdef", false},
		{"MixedCaseButLongerThanSixteen", false},
		{"A_VERY_LONG_NAME_THAT_GOES_ON_AND_ON_PAST_FORTY", false},
	}
	for _, tt := range tests {
		if got := envNameShown(tt.name); got != tt.want {
			t.Errorf("envNameShown(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestEnvTokenNotEchoed passes a token as an env: name: the error and the
// log line show its start and length only (h.call greps for the canary).
func TestEnvTokenNotEchoed(t *testing.T) {
	tok := "CANARYghp_16C7e42F292c6912E7710c838347Ae178B4a"
	env := map[string]string{"BEARER_TOKEN_" + tok: "keyring:work"}
	h := newHarness(t, noConfig, env)
	tests := []struct {
		name, tool, token string
		wantError         bool
		want              string
	}{
		{"unset", toolHTTPRequest, "env:" + tok[1:], true, "env:ANA...(45 characters)"},
		{"set", toolHTTPRequest, "env:" + tok, false, `"status": 200`},
		{"status unset", toolTokenStatus, "env:" + tok[1:], false, "env:ANA...(45 characters)"},
		{"status set", toolTokenStatus, "env:" + tok, false,
			"env:CAN...(46 characters) -> keyring:work"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := *h
			sub.t = t
			got, isErr := sub.call(tt.tool, map[string]any{"url": "/api/items", "token": tt.token})
			if isErr != tt.wantError || !strings.Contains(got, tt.want) {
				t.Errorf("isError = %v, want %v, and %q in:\n%s", isErr, tt.wantError, tt.want, got)
			}
			if strings.Contains(got, "16C7e42F") || strings.Contains(h.log.String(), "16C7e42F") {
				t.Errorf("the name shows in the result or log:\n%s\n%s", got, h.log.String())
			}
		})
	}
	if !strings.Contains(h.log.String(), `ref="env:CAN...(46 characters)`) {
		t.Errorf("log lacks the cut name:\n%s", h.log.String())
	}
}
