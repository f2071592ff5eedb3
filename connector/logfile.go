package connector

import (
	"io"

	"gopkg.in/natefinch/lumberjack.v2"
)

// LogFileName is the connector's log file in its data folder. The service
// writes its log there, since a service has no console; older files are
// kept beside it as LogFileName with a timestamp.
const LogFileName = "qbconnector.log"

// Log file rotation: a file grows to logMaxMB, then up to logBackups older
// files are kept for logMaxDays. About 50 MB at most: the log must never
// fill the disk of the PC that runs QuickBooks.
const (
	logMaxMB    = 10
	logBackups  = 4
	logMaxDays  = 30
	logCompress = true
)

// LogWriter returns the data folder's rotating log file, created on the
// first write. Close it when done.
func (s *Store) LogWriter() (io.WriteCloser, error) {
	if err := s.Init(); err != nil {
		return nil, err
	}
	return &lumberjack.Logger{Filename: s.Path(LogFileName), MaxSize: logMaxMB, MaxBackups: logBackups,
		MaxAge: logMaxDays, Compress: logCompress}, nil
}
