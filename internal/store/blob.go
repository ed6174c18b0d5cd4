package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keyref/keyref/internal/keychain"
)

// A blob is a byte string stored under one account name, split into chunks
// when it is larger than the keychain accepts in one item.
//
// The head item, under the account name itself, is one of
//
//	keyref1:t:<data>                               (inline UTF-8 text)
//	keyref1:i:<base64 data>                        (inline bytes)
//	keyref1:c:<slot>:<count>:<size>:<sha256 hex>   (chunked)
//
// Records and the index are JSON, so they are stored as text: the Secret
// Service reads an item in time that grows with its size, and base64
// would make it a third larger.
//
// Chunks live under "<account>#<slot><index>", slot "a" or "b". A write
// fills the slot the head does not point to and then replaces the head in
// one keychain call, so until that call the old value stays whole and
// readable, and after it the new one is. Readers check the size and hash
// and start over when a concurrent writer reused a slot under them.
// Writers of one account must hold its lock.

const headPrefix = "keyref1:"

// head is a parsed head item.
type head struct {
	inline []byte // data of an inline blob
	text   bool   // inline data stored as text, not base64
	slot   string // "a" or "b" for a chunked blob
	count  int
	size   int
	sum    [sha256.Size]byte
}

func (h *head) chunked() bool { return h.slot != "" }

func chunkAccount(account, slot string, i int) string {
	return account + "#" + slot + strconv.Itoa(i)
}

// parseHead decodes a head item. Errors wrap ErrCorrupt and never quote
// the input.
func parseHead(v string) (*head, error) {
	rest, ok := strings.CutPrefix(v, headPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: unknown head format", ErrCorrupt)
	}
	if data, ok := strings.CutPrefix(rest, "t:"); ok {
		if !utf8.ValidString(data) {
			return nil, fmt.Errorf("%w: inline text is not UTF-8", ErrCorrupt)
		}
		return &head{inline: []byte(data), text: true}, nil
	}
	if data, ok := strings.CutPrefix(rest, "i:"); ok {
		b, err := base64.StdEncoding.Strict().DecodeString(data)
		if err != nil {
			return nil, fmt.Errorf("%w: bad inline encoding", ErrCorrupt)
		}
		return &head{inline: b}, nil
	}
	f := strings.Split(rest, ":")
	if len(f) != 5 || f[0] != "c" || (f[1] != "a" && f[1] != "b") {
		return nil, fmt.Errorf("%w: bad head fields", ErrCorrupt)
	}
	h := &head{slot: f[1]}
	var err1, err2 error
	h.count, err1 = strconv.Atoi(f[2])
	h.size, err2 = strconv.Atoi(f[3])
	sum, err3 := hex.DecodeString(f[4])
	if err1 != nil || err2 != nil || err3 != nil || len(sum) != sha256.Size ||
		h.count < 1 || h.count > maxChunks || h.size < 0 || h.size > MaxRecordSize*2 {
		return nil, fmt.Errorf("%w: bad head fields", ErrCorrupt)
	}
	copy(h.sum[:], sum)
	return h, nil
}

func (h *head) String() string {
	switch {
	case h.text:
		return headPrefix + "t:" + string(h.inline)
	case !h.chunked():
		return headPrefix + "i:" + base64.StdEncoding.EncodeToString(h.inline)
	}
	return fmt.Sprintf("%sc:%s:%d:%d:%s", headPrefix, h.slot, h.count, h.size,
		hex.EncodeToString(h.sum[:]))
}

// maxChunks bounds the chunks of one blob: enough for MaxRecordSize, with
// room to spare, and a guard against a corrupt count.
const maxChunks = 256

// readAttempts bounds how often a reader starts over after racing a writer.
const readAttempts = 6

// readBlob returns the bytes stored under account.
func readBlob(ctx context.Context, kc keychain.Backend, account string) ([]byte, error) {
	b, _, err := readBlobHead(ctx, kc, account)
	return b, err
}

// readBlobHead is readBlob that also returns the head it read, nil when
// there was none or it was unreadable; a writer holding the account's
// lock passes it to writeBlob instead of reading it again.
func readBlobHead(ctx context.Context, kc keychain.Backend,
	account string) ([]byte, *head, error) {
	var lastErr error
	var h *head
	for attempt := 0; attempt < readAttempts; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, time.Duration(attempt)*5*time.Millisecond); err != nil {
				return nil, h, err
			}
		}
		v, err := kc.Get(ctx, account)
		if err != nil {
			return nil, nil, err
		}
		if h, err = parseHead(v); err != nil {
			return nil, nil, err
		}
		if !h.chunked() {
			return h.inline, h, nil
		}
		b, err := readChunks(ctx, kc, account, h)
		if err == nil {
			return b, h, nil
		}
		if !errors.Is(err, errTorn) {
			return nil, h, err
		}
		lastErr = err
	}
	return nil, h, fmt.Errorf("%w: %v", ErrCorrupt, lastErr)
}

// errTorn reports chunks that do not match their head: a writer changed
// them during the read, or a write was lost.
var errTorn = errors.New("chunks do not match their head")

func readChunks(ctx context.Context, kc keychain.Backend, account string, h *head) ([]byte, error) {
	var sb strings.Builder
	for i := 0; i < h.count; i++ {
		c, err := kc.Get(ctx, chunkAccount(account, h.slot, i))
		if errors.Is(err, keychain.ErrNotFound) {
			return nil, errTorn
		}
		if err != nil {
			return nil, err
		}
		sb.WriteString(c)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(sb.String())
	if err != nil || len(b) != h.size || sha256.Sum256(b) != h.sum {
		return nil, errTorn
	}
	return b, nil
}

// writeBlob stores data under account, replacing what was there without
// ever leaving it unreadable. The caller holds the account's lock and
// passes old, the head it read under that lock (nil when there was none
// or it was unreadable), so that the new chunks go to the other slot.
func writeBlob(ctx context.Context, kc keychain.Backend, account string,
	data []byte, old *head) error {
	h := &head{inline: data, text: utf8.Valid(data)}
	if len(h.String()) > kc.MaxValue() {
		h = &head{slot: "a", size: len(data), sum: sha256.Sum256(data)}
		if old != nil && old.slot == "a" {
			h.slot = "b"
		}
		enc := base64.StdEncoding.EncodeToString(data)
		step := kc.MaxValue()
		for off := 0; off < len(enc); off += step {
			end := min(off+step, len(enc))
			chunk := chunkAccount(account, h.slot, h.count)
			if err := kc.Set(ctx, chunk, enc[off:end]); err != nil {
				return err
			}
			h.count++
		}
	}
	if err := kc.Set(ctx, account, h.String()); err != nil {
		return err
	}
	// The new value is in place; what follows only tidies up, and what it
	// misses, the next write or `keyref doctor` removes.
	if old != nil && old.chunked() && old.slot != h.slot {
		deleteSlot(ctx, kc, account, old.slot, 0)
	}
	if h.chunked() {
		deleteSlot(ctx, kc, account, h.slot, h.count)
	}
	return nil
}

// currentHead returns the parsed head under account, nil when there is
// none or it is unreadable (a write then replaces it).
func currentHead(ctx context.Context, kc keychain.Backend, account string) (*head, error) {
	v, err := kc.Get(ctx, account)
	if errors.Is(err, keychain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h, err := parseHead(v)
	if err != nil {
		return nil, nil
	}
	return h, nil
}

// deleteBlob removes account and its chunks. The caller holds the lock.
func deleteBlob(ctx context.Context, kc keychain.Backend, account string) error {
	if err := kc.Delete(ctx, account); err != nil {
		return err
	}
	deleteSlot(ctx, kc, account, "a", 0)
	deleteSlot(ctx, kc, account, "b", 0)
	return nil
}

// deleteSlot deletes chunks of slot from index from on and reports how
// many it deleted. It finds the last one first and deletes backwards, so
// that an interrupted cleanup, like an interrupted write, leaves a run of
// chunks starting at from, which the next cleanup finds again. Errors end
// it quietly: left over chunks are harmless.
func deleteSlot(ctx context.Context, kc keychain.Backend, account, slot string, from int) int {
	end := from
	for end < from+maxChunks {
		if _, err := kc.Get(ctx, chunkAccount(account, slot, end)); err != nil {
			break
		}
		end++
	}
	for i := end - 1; i >= from; i-- {
		if kc.Delete(ctx, chunkAccount(account, slot, i)) != nil {
			return end - 1 - i
		}
	}
	return end - from
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
