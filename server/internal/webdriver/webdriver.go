// Package webdriver drives WebKit (WebKitGTK's MiniBrowser) through
// WebKitWebDriver with classic W3C WebDriver over HTTP: it starts the
// driver under an X display (an Xvfb of its own unless told one), opens a
// session, navigates, executes scripts (synchronous and asynchronous),
// finds and clicks elements, switches into frames and back, and on Close
// deletes the session and kills every process it started. The browser
// tests use it to run in WebKit what they run in Chromium; nothing that
// ships imports it.
package webdriver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"newswidget/server/internal/procgroup"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FindDriver returns the path of WebKitWebDriver: $WEBKIT_WEBDRIVER, or
// WebKitWebDriver on the PATH (Debian's webkit2gtk-driver).
func FindDriver() (string, bool) {
	if p := os.Getenv("WEBKIT_WEBDRIVER"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	p, err := exec.LookPath("WebKitWebDriver")
	return p, err == nil
}

// FindBrowser returns the path of WebKitGTK's MiniBrowser:
// $WEBKIT_MINIBROWSER, or where Debian's libwebkit2gtk-4.1-0 (or -4.0-37)
// puts it.
func FindBrowser() (string, bool) {
	if p := os.Getenv("WEBKIT_MINIBROWSER"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	for _, pattern := range []string{"/usr/lib/*/webkit2gtk-4.1/MiniBrowser", "/usr/lib/*/webkit2gtk-4.0/MiniBrowser",
		"/usr/libexec/webkit2gtk-4.1/MiniBrowser", "/usr/libexec/webkit2gtk-4.0/MiniBrowser"} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[0], true
		}
	}
	return "", false
}

// FindXvfb returns the path of Xvfb (Debian's xvfb).
func FindXvfb() (string, bool) {
	p, err := exec.LookPath("Xvfb")
	return p, err == nil
}

// Options say how Start starts WebKit.
type Options struct {
	// Driver is WebKitWebDriver's path; empty uses FindDriver.
	Driver string
	// Browser is MiniBrowser's path; empty uses FindBrowser.
	Browser string
	// Args are the browser's arguments; nil is ["--automation"], which
	// MiniBrowser needs to be driven.
	Args []string
	// Display is the X display to run on (":0"); empty starts an Xvfb of
	// its own, so no window shows on a developer's screen.
	Display string
	// Width and Height are the window's size; zero is 1000×900.
	Width, Height int
	// Timeout bounds the start and each command; zero is 30 seconds.
	Timeout time.Duration
}

// Session is a running WebKitWebDriver with one session in MiniBrowser.
type Session struct {
	base    string // http://127.0.0.1:PORT/session/ID
	client  *http.Client
	timeout time.Duration
	driver  *exec.Cmd
	xvfb    *exec.Cmd

	mu     sync.Mutex
	output []string // the driver's and the browser's last lines, for errors

	closeOnce sync.Once
}

// Element is a web element reference returned by FindElement; passed as a
// script argument it is the element itself.
type Element struct{ ID string }

// elementKey is the W3C web element identifier.
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

// MarshalJSON writes the element as WebDriver's element reference.
func (e Element) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{elementKey: e.ID})
}

// Error is a WebDriver error response.
type Error struct {
	Command string // "POST /url" …
	Status  int    // the HTTP status
	Code    string // the WebDriver error code, e.g. "no such element"
	Message string
}

// Error reads as "webdriver: COMMAND: CODE: MESSAGE".
func (e *Error) Error() string {
	return "webdriver: " + e.Command + ": " + e.Code + ": " + e.Message
}

// Start starts an Xvfb (unless o.Display names a display), WebKitWebDriver
// on a free loopback port, and a session in MiniBrowser with a window of
// the asked size, all of which Close ends.
func Start(o Options) (s *Session, err error) {
	if o.Driver == "" {
		p, ok := FindDriver()
		if !ok {
			return nil, errors.New("webdriver: no WebKitWebDriver found ($WEBKIT_WEBDRIVER or on the PATH); install Debian's webkit2gtk-driver")
		}
		o.Driver = p
	}
	if o.Browser == "" {
		p, ok := FindBrowser()
		if !ok {
			return nil, errors.New("webdriver: no MiniBrowser found ($WEBKIT_MINIBROWSER or under /usr/lib/*/webkit2gtk-4.1); install Debian's webkit2gtk-driver (it brings libwebkit2gtk-4.1-0)")
		}
		o.Browser = p
	}
	if o.Args == nil {
		o.Args = []string{"--automation"}
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 1000, 900
	}
	s = &Session{client: &http.Client{}, timeout: o.Timeout}
	defer func() {
		if err != nil {
			s.Close()
			s = nil
		}
	}()
	display := o.Display
	if display == "" {
		if display, err = s.startXvfb(o.Timeout); err != nil {
			return s, err
		}
	}
	var root string
	for attempt := 0; ; attempt++ { // a port picked free may be taken before the driver binds it
		root, err = s.startDriver(o.Driver, display, o.Timeout)
		if err == nil || attempt == 2 {
			break
		}
	}
	if err != nil {
		return s, err
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName":              "MiniBrowser",
		"webkitgtk:browserOptions": map[string]any{"binary": o.Browser, "args": o.Args},
	}}}
	var created struct{ SessionID string }
	if err := s.do(http.MethodPost, root+"/session", caps, &created); err != nil {
		return s, fmt.Errorf("%w\n%s", err, s.outputTail())
	}
	s.base = root + "/session/" + created.SessionID
	err = s.Command(http.MethodPost, "/window/rect", map[string]int{"width": o.Width, "height": o.Height}, nil)
	return s, err
}

// startXvfb starts a virtual X server on a free display and returns its
// name (":99").
func (s *Session) startXvfb(timeout time.Duration) (string, error) {
	xvfb, ok := FindXvfb()
	if !ok {
		return "", errors.New("webdriver: no Xvfb found on the PATH; install Debian's xvfb (or give Options.Display)")
	}
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer r.Close()
	cmd := exec.Command(xvfb, "-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.SysProcAttr = procgroup.Attr()
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		w.Close()
		return "", fmt.Errorf("webdriver: starting Xvfb: %w", err)
	}
	w.Close()
	s.xvfb = cmd
	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	select {
	case n := <-num:
		if _, err := strconv.Atoi(n); err != nil {
			return "", fmt.Errorf("webdriver: Xvfb did not say its display (%q)", n)
		}
		return ":" + n, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("webdriver: Xvfb did not start within %v", timeout)
	}
}

// startDriver starts WebKitWebDriver on a free port of display and waits
// until it answers; it returns the driver's base URL.
func (s *Session) startDriver(path, display string, timeout time.Duration) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(path, "--port="+strconv.Itoa(port), "--host=local")
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "WAYLAND_DISPLAY=", "GDK_BACKEND=x11",
		"WEBKIT_DISABLE_COMPOSITING_MODE=1", "NO_AT_BRIDGE=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = procgroup.Attr()
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("webdriver: starting %s: %w", path, err)
	}
	exited := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.mu.Lock()
			s.output = append(s.output, sc.Text())
			if len(s.output) > 40 {
				s.output = s.output[len(s.output)-40:]
			}
			s.mu.Unlock()
		}
		close(exited)
	}()
	root := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			cmd.Wait()
			return "", fmt.Errorf("webdriver: WebKitWebDriver exited at start:\n%s", s.outputTail())
		default:
		}
		var status struct{ Ready bool }
		if s.do(http.MethodGet, root+"/status", nil, &status) == nil {
			s.driver = cmd
			return root, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	procgroup.Kill(cmd)
	cmd.Wait()
	return "", fmt.Errorf("webdriver: WebKitWebDriver did not answer within %v:\n%s", timeout, s.outputTail())
}

func (s *Session) outputTail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.output, "\n")
}

// do sends one HTTP request to the driver and decodes the "value" of its
// answer into result, which may be nil.
func (s *Session) do(method, url string, body, result any) error {
	return s.doWithin(method, url, body, result, s.timeout)
}

// doWithin is do with its own timeout.
func (s *Session) doWithin(method, url string, body, result any, timeout time.Duration) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	} else if method == http.MethodPost {
		rd = strings.NewReader("{}")
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	client := *s.client
	client.Timeout = timeout
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webdriver: %s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var answer struct{ Value json.RawMessage }
	if err := json.Unmarshal(raw, &answer); err != nil {
		return fmt.Errorf("webdriver: %s %s: status %d, answer %.200q", method, url, resp.StatusCode, raw)
	}
	command := method + " " + strings.TrimPrefix(url, s.base)
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error, Message string }
		json.Unmarshal(answer.Value, &e)
		return &Error{Command: command, Status: resp.StatusCode, Code: e.Error, Message: e.Message}
	}
	if result == nil {
		return nil
	}
	if err := json.Unmarshal(answer.Value, result); err != nil {
		return fmt.Errorf("webdriver: %s: decoding %.200s: %w", command, answer.Value, err)
	}
	return nil
}

// Command sends one command of the session: path is relative to
// /session/{id} ("/url"); the answer's value is decoded into result, which
// may be nil.
func (s *Session) Command(method, path string, body, result any) error {
	if s.base == "" {
		return errors.New("webdriver: no session")
	}
	return s.do(method, s.base+path, body, result)
}

// Navigate loads url in the top-level page and waits for it to load; the
// current frame becomes the top-level one.
func (s *Session) Navigate(url string) error {
	return s.Command(http.MethodPost, "/url", map[string]string{"url": url}, nil)
}

// Execute runs script as the body of a function in the current frame,
// with args as its arguments (an Element is the element), waits for the
// promise it returns if it returns one, and decodes the value into out,
// which may be nil.
func (s *Session) Execute(script string, args []any, out any) error {
	return s.execute("/execute/sync", script, args, out)
}

// ExecuteAsync runs script as the body of a function in the current frame
// whose last argument is a callback: the value it is called with is
// decoded into out, which may be nil.
func (s *Session) ExecuteAsync(script string, args []any, out any) error {
	return s.execute("/execute/async", script, args, out)
}

func (s *Session) execute(path, script string, args []any, out any) error {
	if args == nil {
		args = []any{}
	}
	if out == nil {
		out = new(json.RawMessage)
	}
	return s.Command(http.MethodPost, path, map[string]any{"script": script, "args": args}, out)
}

// FindElement returns the first element of the current frame matching the
// CSS selector.
func (s *Session) FindElement(selector string) (Element, error) {
	var v map[string]string
	if err := s.Command(http.MethodPost, "/element", map[string]string{"using": "css selector", "value": selector}, &v); err != nil {
		return Element{}, err
	}
	if v[elementKey] == "" {
		return Element{}, fmt.Errorf("webdriver: finding %s: no element reference in the answer", selector)
	}
	return Element{ID: v[elementKey]}, nil
}

// ElementByScript runs script as the body of a function in the current
// frame (as Execute) and returns the element it returns
// ("return document.activeElement").
func (s *Session) ElementByScript(script string) (Element, error) {
	var v map[string]string
	if err := s.Execute(script, nil, &v); err != nil {
		return Element{}, err
	}
	if v[elementKey] == "" {
		return Element{}, fmt.Errorf("webdriver: %.100s: returned no element", script)
	}
	return Element{ID: v[elementKey]}, nil
}

// SendKeys focuses the element (scrolled into view) and types text into
// it with the driver's simulated keyboard ("element send keys"): key
// events for each character, and the input events they cause.
func (s *Session) SendKeys(e Element, text string) error {
	return s.Command(http.MethodPost, "/element/"+e.ID+"/value", map[string]string{"text": text}, nil)
}

// Window returns the handle of the current window.
func (s *Session) Window() (string, error) {
	var h string
	err := s.Command(http.MethodGet, "/window", nil, &h)
	return h, err
}

// NewWindow opens a new top-level window (not a tab) and returns its
// handle; the current window stays the current one.
func (s *Session) NewWindow() (string, error) {
	var w struct{ Handle string }
	if err := s.Command(http.MethodPost, "/window/new", map[string]string{"type": "window"}, &w); err != nil {
		return "", err
	}
	return w.Handle, nil
}

// SwitchToWindow makes the window with the handle the current one, its
// top-level page the current frame.
func (s *Session) SwitchToWindow(handle string) error {
	return s.Command(http.MethodPost, "/window", map[string]string{"handle": handle}, nil)
}

// CloseWindow closes the current window; switch to another before the
// next command.
func (s *Session) CloseWindow() error {
	return s.Command(http.MethodDelete, "/window", nil, nil)
}

// Click scrolls the element into view and clicks its centre, as a reader's
// mouse would.
func (s *Session) Click(e Element) error {
	return s.Command(http.MethodPost, "/element/"+e.ID+"/click", nil, nil)
}

// Hover moves the mouse to the centre of the element.
func (s *Session) Hover(e Element) error {
	err := s.Command(http.MethodPost, "/actions", map[string]any{"actions": []any{map[string]any{
		"type": "pointer", "id": "mouse", "parameters": map[string]any{"pointerType": "mouse"},
		"actions": []any{map[string]any{"type": "pointerMove", "x": 0, "y": 0, "origin": e, "duration": 0}}}}}, nil)
	if err != nil {
		return err
	}
	return s.Command(http.MethodDelete, "/actions", nil, nil)
}

// SwitchToFrame makes the frame of the iframe element e the current frame.
func (s *Session) SwitchToFrame(e Element) error {
	return s.Command(http.MethodPost, "/frame", map[string]any{"id": e}, nil)
}

// SwitchToParentFrame makes the current frame's parent the current frame.
func (s *Session) SwitchToParentFrame() error {
	return s.Command(http.MethodPost, "/frame/parent", nil, nil)
}

// SwitchToTop makes the top-level page the current frame.
func (s *Session) SwitchToTop() error {
	return s.Command(http.MethodPost, "/frame", map[string]any{"id": nil}, nil)
}

// Close deletes the session (which closes the browser) and kills the
// driver, the browser's processes and the Xvfb it started; closing twice
// does nothing.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		if s.base != "" {
			s.doWithin(http.MethodDelete, s.base, nil, nil, 5*time.Second)
		}
		if s.driver != nil {
			procgroup.Kill(s.driver)
			s.driver.Wait()
		}
		if s.xvfb != nil { // asked first, so it removes its socket and lock
			done := make(chan struct{})
			go func() { s.xvfb.Wait(); close(done) }()
			s.xvfb.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				procgroup.Kill(s.xvfb)
				<-done
			}
		}
	})
	return nil
}
