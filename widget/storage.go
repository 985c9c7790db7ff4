package main

import "github.com/maxence-charriere/go-app/v9/pkg/app"

// ensureStorage gives the page an in-memory localStorage and sessionStorage
// when the browser refuses them. A reader who blocks third-party site data
// makes this frame storage-less: reading window.localStorage then throws
// SecurityError, and go-app's engine reads it, which would be an uncaught
// page error. The widget keeps nothing there, so memory is enough.
func ensureStorage() {
	for _, name := range []string{"localStorage", "sessionStorage"} {
		if storageWorks(name) {
			continue
		}
		win := app.Window()
		desc := map[string]any{"value": memoryStorage(), "configurable": true}
		win.Get("Object").Call("defineProperty", win.JSValue(), name, desc)
	}
}

func storageWorks(name string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	s := app.Window().Get(name)
	if !s.Truthy() {
		return false
	}
	s.Call("getItem", "newswidget")
	return true
}

// memoryStorage is a Storage-like object whose methods sit on its prototype,
// so Object.keys (which go-app calls on it) lists only stored keys: none.
func memoryStorage() app.Value {
	items := map[string]string{}
	var order []string
	proto := app.Window().Get("Object").New()
	proto.Set("getItem", app.FuncOf(func(_ app.Value, a []app.Value) any {
		if v, ok := items[a[0].String()]; ok {
			return v
		}
		return nil
	}))
	proto.Set("setItem", app.FuncOf(func(_ app.Value, a []app.Value) any {
		k := a[0].String()
		if _, ok := items[k]; !ok {
			order = append(order, k)
		}
		items[k] = a[1].String() // go-app stores JSON strings
		return nil
	}))
	proto.Set("removeItem", app.FuncOf(func(_ app.Value, a []app.Value) any {
		k := a[0].String()
		delete(items, k)
		for i, o := range order {
			if o == k {
				order = append(order[:i], order[i+1:]...)
				break
			}
		}
		return nil
	}))
	proto.Set("clear", app.FuncOf(func(app.Value, []app.Value) any {
		items, order = map[string]string{}, nil
		return nil
	}))
	proto.Set("key", app.FuncOf(func(_ app.Value, a []app.Value) any {
		if i := a[0].Int(); i >= 0 && i < len(order) {
			return order[i]
		}
		return nil
	}))
	return app.Window().Get("Object").Call("create", proto)
}
