package ec2query

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/ec2query"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/query"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// serializer writes the operation's input as EC2's query form: a POST to
// / with Action, Version and the input's members under their `ec2` keys.
type serializer struct{ op string }

func (*serializer) ID() string { return "OperationSerializer" }

func (m *serializer) HandleSerialize(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: fmt.Errorf("unknown transport type %T", in.Request)}
	}
	body, err := encodeForm(m.op, in.Parameters)
	if err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: err}
	}
	if req.URL.Path == "" {
		req.URL.Path = "/"
	}
	req.Method = "POST"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if req, err = req.SetStream(bytes.NewReader(body)); err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: err}
	}
	in.Request = req
	return next.HandleSerialize(ctx, in)
}

// encodeForm is the request body for op with input params (a pointer to an
// Input struct, possibly nil).
func encodeForm(op string, params any) ([]byte, error) {
	var buf bytes.Buffer
	enc := query.NewEncoder(&buf)
	body := enc.Object()
	body.Key("Action").String(op)
	body.Key("Version").String(ServiceAPIVersion)
	if v := reflect.ValueOf(params); v.Kind() == reflect.Pointer && !v.IsNil() {
		if err := encodeStruct(body, v.Elem()); err != nil {
			return nil, err
		}
	}
	if err := enc.Encode(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeStruct writes each member that has an `ec2` key and is set: a nil
// pointer or slice, or an empty enum, is left out; a list is flattened as
// Key.1, Key.2… (an empty one is sent as Key=, as the SDK does).
func encodeStruct(obj *query.Object, v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		key, ok := t.Field(i).Tag.Lookup("ec2")
		if !ok {
			continue
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Pointer:
			if !f.IsNil() {
				if err := encodeValue(obj.Key(key), f.Elem()); err != nil {
					return err
				}
			}
		case reflect.Slice:
			if f.IsNil() {
				continue
			}
			list := obj.FlatKey(key).Array("")
			for j := range f.Len() {
				if err := encodeValue(list.Value(), f.Index(j)); err != nil {
					return err
				}
			}
		case reflect.String:
			if f.Len() > 0 {
				obj.Key(key).String(f.String())
			}
		default:
			return fmt.Errorf("%s.%s: cannot encode a %s", t.Name(), t.Field(i).Name, f.Kind())
		}
	}
	return nil
}

func encodeValue(qv query.Value, v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		qv.String(v.String())
	case reflect.Bool:
		qv.Boolean(v.Bool())
	case reflect.Int32:
		qv.Integer(int32(v.Int()))
	case reflect.Struct:
		return encodeStruct(qv.Object(), v)
	default:
		return fmt.Errorf("cannot encode a %s", v.Kind())
	}
	return nil
}

// deserializer reads EC2's answer into out by its `xml` tags, or, for a
// status that is not 2xx, EC2's error document into a smithy.APIError with
// the request id in the metadata (ResponseErrorWrapper adds the status).
type deserializer struct{ out any }

func (*deserializer) ID() string { return "OperationDeserializer" }

func (m *deserializer) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (out middleware.DeserializeOutput, md middleware.Metadata, err error) {
	out, md, err = next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok {
		if err != nil {
			return out, md, err
		}
		return out, md, &smithy.DeserializationError{Err: fmt.Errorf("unknown transport type %T", out.RawResponse)}
	}
	defer func() { smithyhttp.CloseResponseBody(ctx, resp, false, err) }()
	if err != nil {
		return out, md, err
	}
	body, rerr := io.ReadAll(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return out, md, decodeError(body, rerr, &md)
	}
	if rerr != nil {
		return out, md, &smithy.DeserializationError{Err: fmt.Errorf("failed to read response body, %w", rerr)}
	}
	out.Result = m.out
	if err := xml.Unmarshal(body, m.out); err != nil && !errors.Is(err, io.EOF) {
		return out, md, &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", err), Snapshot: snapshot(body)}
	}
	return out, md, nil
}

// decodeError turns EC2's <Response><Errors><Error>… document into the
// error the SDK returns for it.
func decodeError(body []byte, rerr error, md *middleware.Metadata) error {
	if rerr != nil {
		return &smithy.DeserializationError{Err: fmt.Errorf("failed to copy error response body, %w", rerr)}
	}
	c, err := ec2query.GetErrorResponseComponents(bytes.NewReader(body))
	if err != nil {
		return err
	}
	awsmiddleware.SetRequestIDMetadata(md, c.RequestID)
	// As the SDK: a missing code or message reads UnknownError.
	ae := &smithy.GenericAPIError{Code: "UnknownError", Message: "UnknownError"}
	if c.Code != "" {
		ae.Code = c.Code
	}
	if c.Message != "" {
		ae.Message = c.Message
	}
	return ae
}

// snapshot is the start of a body that could not be decoded, for the error.
func snapshot(body []byte) []byte {
	if len(body) > 1024 {
		return body[:1024]
	}
	return body
}
