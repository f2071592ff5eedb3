//go:build windows

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"fyne.io/systray"
	"github.com/spf13/cobra"
	"golang.org/x/sys/windows"

	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/connector/tray"
)

// trayPoll is how often the tray asks the connector for its state: often
// enough that a QuickBooks dialog shows within the 2 s the UI promises.
const trayPoll = 2 * time.Second

// trayStartTimeout is how long the icon may take to appear.
const trayStartTimeout = 10 * time.Second

// newTrayCmd runs the notification-area app in the user's session (a
// service cannot show UI). It talks to the connector only through the
// local UI's token-protected API, as the status, sync, pause and resume
// commands do; the decisions are connector/tray's, this is the drawing.
func newTrayCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tray",
		Short: "Show the connector in the notification area (started at logon by the installer)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := g.store()
			if err != nil {
				return err
			}
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			t := &trayApp{store: st, log: log, ctx: cmd.Context(), shown: make(chan struct{})}
			// The library logs a failure to make its window and then waits
			// forever without an icon (a session without a desktop, such
			// as a service's or Wine's without a display): say so and exit.
			go func() {
				select {
				case <-t.shown:
				case <-time.After(trayStartTimeout):
					fmt.Fprintln(cmd.ErrOrStderr(), "qbconnector: the notification area is not available in this session (no desktop); the connector itself keeps running")
					os.Exit(1)
				}
			}()
			systray.Run(t.ready, func() {})
			return nil
		},
	}
}

type trayApp struct {
	store *connector.Store
	log   *slog.Logger
	ctx   context.Context

	mu       sync.Mutex
	client   *connector.LocalClient
	items    map[string]*systray.MenuItem
	notifier tray.Notifier
	// shown is closed once the icon is in the notification area.
	shown   chan struct{}
	lastErr string
}

func (t *trayApp) ready() {
	close(t.shown)
	hideOwnConsole()
	systray.SetTitle("qbconnector")
	t.items = map[string]*systray.MenuItem{}
	for _, it := range tray.Build(nil).Items {
		if it.ID == tray.ItemSync || it.ID == tray.ItemResume {
			systray.AddSeparator()
		}
		mi := systray.AddMenuItem(it.Title, "")
		t.items[it.ID] = mi
		go func(id string, mi *systray.MenuItem) {
			for range mi.ClickedCh {
				t.click(id)
			}
		}(it.ID, mi)
	}
	systray.AddSeparator()
	quit := systray.AddMenuItem("Quit", "Close this icon; the connector keeps running")
	go func() {
		<-quit.ClickedCh
		systray.Quit()
	}()
	go t.loop()
}

// loop refreshes the icon until the app quits.
func (t *trayApp) loop() {
	tick := time.NewTicker(trayPoll)
	defer tick.Stop()
	for {
		t.refresh()
		select {
		case <-tick.C:
		case <-t.ctx.Done():
			systray.Quit()
			return
		}
	}
}

// status asks the connector, dialling it again (it may have restarted on
// another port after an update) when the last client failed.
func (t *trayApp) status() (*connector.LocalClient, *connector.Status) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ctx, cancel := context.WithTimeout(t.ctx, 5*time.Second)
	defer cancel()
	if t.client != nil {
		if s, err := t.client.Status(ctx); err == nil {
			return t.client, s
		}
		t.client = nil
	}
	c, err := connector.DialLocal(ctx, t.store)
	if err != nil {
		// Said once per cause. The tray reads the users' access file
		// (connector/access.go), which every interactive user may read.
		if msg := err.Error(); msg != t.lastErr {
			t.lastErr = msg
			t.log.Warn("tray: the connector's state is unknown", "err", err)
		}
		return nil, nil
	}
	t.lastErr = ""
	s, err := c.Status(ctx)
	if err != nil {
		return nil, nil
	}
	t.client = c
	return c, s
}

func (t *trayApp) refresh() {
	_, s := t.status()
	v := tray.Build(s)
	systray.SetIcon(tray.Icon(v.Level))
	systray.SetTooltip(v.Tooltip)
	for _, it := range v.Items {
		if mi := t.items[it.ID]; mi != nil {
			if it.Enabled {
				mi.Enable()
			} else {
				mi.Disable()
			}
		}
	}
	t.mu.Lock()
	notices := t.notifier.Update(s)
	t.mu.Unlock()
	for _, n := range notices {
		if err := notify(n); err != nil {
			t.log.Warn("tray: notification not shown", "err", err)
		}
	}
}

func (t *trayApp) click(id string) {
	c, _ := t.status()
	if c == nil {
		t.log.Warn("tray: the connector is not running")
		return
	}
	if id == tray.ItemOpen {
		// The users' page for a user who is not an administrator
		// (connector/access.go).
		if err := openBrowser(c.Access().UIURL); err != nil {
			t.log.Warn("tray: the browser did not open", "err", err)
		}
		return
	}
	action, forArg, ok := tray.ActionFor(id)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(t.ctx, time.Minute)
	defer cancel()
	if _, err := c.ActAll(ctx, action, forArg); err != nil {
		t.log.Warn("tray: "+action+" failed", "err", err)
		_ = notify(tray.Notice{Title: "qbconnector", Message: err.Error()})
	}
	t.refresh()
}

// toastScript shows a Windows toast notification with the text of the
// QBC_TITLE and QBC_MESSAGE variables (passed so, the text needs no
// quoting). It uses PowerShell's application ID, which Windows lets show
// toasts without a registration of our own.
const toastScript = `[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] > $null
$t = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02)
$x = $t.GetElementsByTagName('text')
$x.Item(0).AppendChild($t.CreateTextNode($env:QBC_TITLE)) > $null
$x.Item(1).AppendChild($t.CreateTextNode($env:QBC_MESSAGE)) > $null
[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier('{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\WindowsPowerShell\v1.0\powershell.exe').Show([Windows.UI.Notifications.ToastNotification]::new($t))`

// notify shows a notice as a Windows notification.
func notify(n tray.Notice) error {
	cmd := exec.Command("powershell.exe", "-NoProfile", "-NonInteractive", "-Command", toastScript)
	cmd.Env = append(os.Environ(), "QBC_TITLE="+n.Title, "QBC_MESSAGE="+n.Message)
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: windows.CREATE_NO_WINDOW}
	return cmd.Run()
}

var (
	kernel32              = windows.NewLazySystemDLL("kernel32.dll")
	getConsoleProcessList = kernel32.NewProc("GetConsoleProcessList")
	freeConsole           = kernel32.NewProc("FreeConsole")
)

// hideOwnConsole closes the console window Windows opened for this
// console program when it was started at logon or from a shortcut (the
// console holds this process only), so that only the icon remains; from
// a command prompt, which shares the console, it keeps it.
func hideOwnConsole() {
	var pids [2]uint32
	n, _, _ := getConsoleProcessList.Call(uintptr(unsafe.Pointer(&pids[0])), uintptr(len(pids)))
	if n == 1 {
		freeConsole.Call()
	}
}
