package sandbox

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestCloneSharesNothing: a world with every field of every type it holds
// set (two of each slice and map element) clones into an equal world that
// saves to the same bytes and shares no pointer, slice or map with it, so
// a change made to the clone (update) can never show in the world
// requests read. A field added with a slice, map or pointer that clone
// does not copy fails here.
func TestCloneSharesNothing(t *testing.T) {
	w := new(world)
	n := 0
	fillEvery(t, reflect.ValueOf(w).Elem(), &n, "world")
	c := w.clone()
	if !reflect.DeepEqual(w, c) {
		t.Fatalf("the clone differs from the world:\n%+v\n%+v", w, c)
	}
	a, err := encodeWorld(w)
	if err != nil {
		t.Fatal(err)
	}
	b, err := encodeWorld(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("the clone saves differently:\n%s\n%s", a, b)
	}
	sharesNothing(t, reflect.ValueOf(w).Elem(), reflect.ValueOf(c).Elem(), "world")

	// The nil and empty slices of a saved world stay what they were.
	empty := &world{VPCs: []*vpc{}, Tags: map[string][]tag{"x": {}}}
	ec := empty.clone()
	if ec.VPCs == nil || ec.Subnets != nil || ec.Tags["x"] == nil || ec.ClientTokens != nil {
		t.Fatalf("clone changed nil or empty slices and maps: %+v", ec)
	}
}

// fillEvery sets every field reachable from v to a value of its own.
func fillEvery(t *testing.T, v reflect.Value, n *int, path string) {
	t.Helper()
	*n++
	if v.Type() == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(time.Date(2026, 1, 1, 0, 0, *n, 0, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprint("s", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillEvery(t, v.Elem(), n, path)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillEvery(t, v.Index(i), n, fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fillEvery(t, k, n, path+"[key]")
			fillEvery(t, e, n, path+"[]")
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				// encodeWorld leaves it out but clone would copy it.
				t.Fatalf("%s.%s is unexported: the saved world would lose it", path, f.Name)
			}
			fillEvery(t, v.Field(i), n, path+"."+f.Name)
		}
	default:
		t.Fatalf("%s: fillEvery does not know %s", path, v.Type())
	}
}

// sharesNothing fails where a and b (equal values) share memory a change
// could write to.
func sharesNothing(t *testing.T, a, b reflect.Value, path string) {
	t.Helper()
	if a.Type() == reflect.TypeFor[time.Time]() {
		return
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: the clone shares the pointer", path)
			return
		}
		sharesNothing(t, a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Cap() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the clone shares the slice", path)
			return
		}
		for i := range a.Len() {
			sharesNothing(t, a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the clone shares the map", path)
			return
		}
		for _, k := range a.MapKeys() {
			sharesNothing(t, a.MapIndex(k), b.MapIndex(k), fmt.Sprintf("%s[%v]", path, k))
		}
	case reflect.Struct:
		for i := range a.NumField() {
			sharesNothing(t, a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
		}
	}
}
