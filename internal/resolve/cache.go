package resolve

import (
	"sync"
	"time"
)

// MaxCacheTTL is the longest a resolved token may stay in memory.
const MaxCacheTTL = 5 * time.Minute

// Cache keeps keyring tokens in memory for a short time, for development
// against a slow keychain. It never writes to disk. A nil *Cache caches
// nothing. It is safe for concurrent use.
type Cache struct {
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[string]cached
}

type cached struct {
	tok *Token
	at  time.Time
}

// NewCache returns a cache holding tokens for ttl, capped at MaxCacheTTL.
// now may be nil for time.Now.
func NewCache(ttl time.Duration, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{ttl: min(ttl, MaxCacheTTL), now: now, m: map[string]cached{}}
}

// TTL returns how long the cache holds a token, after the cap.
func (c *Cache) TTL() time.Duration { return c.ttl }

func (c *Cache) get(name string) (*Token, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[name]
	if !ok {
		return nil, false
	}
	now := c.now()
	if now.Sub(e.at) >= c.ttl || (e.tok.Expires != nil && !now.Before(*e.tok.Expires)) {
		delete(c.m, name)
		return nil, false
	}
	return e.tok, true
}

func (c *Cache) put(name string, tok *Token) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[name] = cached{tok: tok, at: c.now()}
}
