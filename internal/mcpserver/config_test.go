package mcpserver

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestFlagErrorsNameTheFlagNotTheValue(t *testing.T) {
	const canary = "CanaryFlagValue123"
	for _, args := range [][]string{
		{"--timeout", canary}, {"--max-response-bytes", canary}, {"--allow-write=" + canary},
	} {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
		code := Main(context.Background(), env, args)
		if code != 2 || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q; want 2 and nothing", args, code, stdout.String())
		}
		if strings.Contains(stderr.String(), canary) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: stderr %q; want one line without the value", args, stderr.String())
		}
	}
}

func TestVersionFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	if code := Main(context.Background(), env, []string{"--version"}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "keyref-mcp version "+Version) {
		t.Errorf("stdout %q", stdout.String())
	}
}

func TestStrayArgumentsAreNotEchoed(t *testing.T) {
	const canary = "ghp_CanaryArg0123456789abcdef"
	for _, args := range [][]string{{canary}, {"--" + canary + "=1"}, {"-" + canary}} {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
		if code := Main(context.Background(), env, args); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if strings.Contains(stderr.String(), "CanaryArg") {
			t.Errorf("%v: stderr echoes the argument: %q", args, stderr.String())
		}
	}
}
