package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
)

// The body of a request in a JSON protocol (ECR's JSON 1.1, Scheduler's
// REST-JSON, Organizations): AWS reads an empty body as {}, and refuses with
// SerializationException one that is not an object or has a member of the
// wrong type.

// jsonObject reports whether a request body is one JSON object, or empty.
func jsonObject(body []byte) bool {
	t := bytes.TrimSpace(body)
	return len(t) == 0 || (json.Valid(t) && t[0] == '{')
}

// decodeJSON reads a request body into v; a member of the wrong type is
// named in the refusal.
func decodeJSON(body []byte, v any) *APIError {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return badRequest("SerializationException", "Unexpected value type for field %s.", te.Field)
		}
		return badRequest("SerializationException", "")
	}
	return nil
}
