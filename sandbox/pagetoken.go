package sandbox

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Paging tokens. Every list the sandbox answers a page at a time (EC2's
// NextToken, ECR's nextToken, IAM's Marker, Scheduler's and Organizations'
// NextToken) hands out the same kind of token: the offset of the next page
// after a label naming the list (the action, or what is listed),
// base64url-encoded so that clients treat it as opaque. A token is good only
// for the list that gave it out, as AWS's are; each service words its own
// refusal.

// pageToken is the token of the page of the list named label that starts at
// offset n.
func pageToken(label string, n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(label + ":" + strconv.Itoa(n)))
}

// tokenOffset reads a token pageToken gave out for the list named label, of
// count items: the offset it carries, or false for a token of another list,
// one that points past the end, or one the sandbox never gave out.
func tokenOffset(tok, label string, count int) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	got, num, ok := strings.Cut(string(b), ":")
	n, err := strconv.Atoi(num)
	if !ok || got != label || err != nil || n < 0 || n > count {
		return 0, false
	}
	return n, true
}

// pageFrom is the page of at most limit items that starts at offset start,
// and the token of the next page ("" for the last).
func pageFrom[T any](items []T, label string, start, limit int) ([]T, string) {
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = pageToken(label, end)
	}
	return items[start:end], next
}
