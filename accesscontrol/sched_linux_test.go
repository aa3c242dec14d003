package accesscontrol_test

import "syscall"

// runQueue reads how long the calling OS thread has waited on a kernel run
// queue (the second field of /proc/thread-self/schedstat): time the thread
// wanted a CPU and the kernel gave it to someone else. Open it on a thread
// locked with runtime.LockOSThread.
type runQueue struct {
	fd  int
	buf [128]byte
}

func openRunQueue() (*runQueue, bool) {
	fd, err := syscall.Open("/proc/thread-self/schedstat", syscall.O_RDONLY, 0)
	if err != nil {
		return nil, false
	}
	rq := &runQueue{fd: fd}
	if _, ok := rq.wait(); !ok {
		rq.close()
		return nil, false
	}
	return rq, true
}

// wait returns the total run-queue wait of the thread, in nanoseconds.
func (rq *runQueue) wait() (int64, bool) {
	n, err := syscall.Pread(rq.fd, rq.buf[:], 0)
	if err != nil || n <= 0 {
		return 0, false
	}
	i := 0
	for i < n && rq.buf[i] != ' ' { // skip the run time
		i++
	}
	i++
	var v int64
	start := i
	for ; i < n && rq.buf[i] >= '0' && rq.buf[i] <= '9'; i++ {
		v = v*10 + int64(rq.buf[i]-'0')
	}
	return v, i > start
}

func (rq *runQueue) close() { _ = syscall.Close(rq.fd) }
