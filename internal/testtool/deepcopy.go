package testtool

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// FillEvery sets every field reachable from ptr, a pointer to a struct, to
// a value of its own (two elements in every slice and map, every pointer
// set), for tests of deep copies: a copy of the filled value must equal it
// and share nothing with it (SharesNothing). It fails t on an unexported
// field, which a copy made through JSON would lose, and on a kind it does
// not know.
func FillEvery(t testing.TB, ptr any) {
	t.Helper()
	n := 0
	fill(t, reflect.ValueOf(ptr).Elem(), &n, reflect.TypeOf(ptr).Elem().Name())
}

func fill(t testing.TB, v reflect.Value, n *int, path string) {
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
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n % 100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n % 100))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), n, path)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, v.Index(i), n, fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(t, k, n, path+"[key]")
			fill(t, e, n, path+"[]")
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				t.Fatalf("%s.%s is unexported: a copy through JSON would lose it", path, f.Name)
			}
			fill(t, v.Field(i), n, path+"."+f.Name)
		}
	default:
		t.Fatalf("%s: FillEvery does not know %s", path, v.Type())
	}
}

// SharesNothing fails t where a and b, pointers to equal values, share a
// pointer, a slice's array or a map: memory a change of one could write
// to the other through.
func SharesNothing(t testing.TB, a, b any) {
	t.Helper()
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Pointer() == vb.Pointer() {
		t.Errorf("%s: the copy is the same value", va.Type())
		return
	}
	sharesNothing(t, va.Elem(), vb.Elem(), va.Type().Elem().Name())
}

func sharesNothing(t testing.TB, a, b reflect.Value, path string) {
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
			t.Errorf("%s: the copy shares the pointer", path)
			return
		}
		sharesNothing(t, a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Cap() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the copy shares the slice", path)
			return
		}
		for i := range a.Len() {
			sharesNothing(t, a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the copy shares the map", path)
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
