package chaos

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
)

// Valid unified social credit codes (GB 32100 check digits verified).
const (
	orgA = "91350100M000100Y43"
	orgB = "91110000600037341L"
)

// load is writers creating assets through the replicas in turn, as a client with a load
// balancer would: a call that fails with a retryable status is sent again, to the next
// replica, with the same request id, until it succeeds. Each acknowledged asset must
// exist at the end, once.
type load struct {
	h        *harness
	stopping atomic.Bool
	give     context.Context // hard end of retrying
	giveUp   context.CancelFunc
	wg       sync.WaitGroup
	statuses counter

	mu         sync.Mutex
	acked      map[string]string // request id → asset name
	rejected   map[string]string // request id → final non-retryable status
	unresolved []string          // request ids still failing when the run gave up
	oks        []time.Time       // when each call succeeded, for times to recover
}

// retryable are the statuses a client may send again with the same request id.
var retryable = map[codes.Code]bool{
	codes.Unavailable: true, codes.DeadlineExceeded: true, codes.Aborted: true, codes.ResourceExhausted: true,
}

func (h *harness) startLoad(writers int) *load {
	l := &load{h: h, acked: map[string]string{}, rejected: map[string]string{}}
	l.give, l.giveUp = context.WithCancel(context.Background())
	for i := range writers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for !l.stopping.Load() {
				l.create(i, uuid.NewString())
			}
		}()
	}
	return l
}

// stop lets every writer finish its current request (retrying it for up to grace) and
// waits for them.
func (l *load) stop(grace time.Duration) {
	l.stopping.Store(true)
	t := time.AfterFunc(grace, l.giveUp)
	l.wg.Wait()
	t.Stop()
	l.giveUp()
}

func (l *load) create(writer int, reqID string) {
	req := &catalogv1.CreateAssetRequest{RequestId: reqID, Asset: &catalogv1.Asset{
		DisplayName: "压测资产 " + reqID, Summary: "chaos run", HolderOrganisation: orgA}}
	wait := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		r := l.h.replicas[(writer+attempt)%len(l.h.replicas)]
		ctx, cancel := context.WithTimeout(l.h.as(l.give, orgA, auth.RoleRegistrar), 5*time.Second)
		resp, err := catalogv1.NewCatalogServiceClient(r.conn).CreateAsset(ctx, req)
		cancel()
		code := status.Code(err)
		if l.give.Err() != nil && (code == codes.Canceled || code == codes.DeadlineExceeded) {
			l.mu.Lock()
			l.unresolved = append(l.unresolved, reqID)
			l.mu.Unlock()
			return
		}
		l.statuses.add(code.String())
		if err == nil {
			l.mu.Lock()
			l.acked[reqID] = resp.GetAsset().GetName()
			l.oks = append(l.oks, time.Now())
			l.mu.Unlock()
			return
		}
		if !retryable[code] {
			l.mu.Lock()
			l.rejected[reqID] = code.String() + ": " + status.Convert(err).Message()
			l.mu.Unlock()
			return
		}
		select {
		case <-l.give.Done():
		case <-time.After(wait):
		}
		if wait *= 2; wait > time.Second {
			wait = time.Second
		}
	}
}

// ackedCount is the number of acknowledged writes so far.
func (l *load) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// firstOKAfter is when the first call after t succeeded (zero if none did).
func (l *load) firstOKAfter(t time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	oks := append([]time.Time(nil), l.oks...)
	sort.Slice(oks, func(i, j int) bool { return oks[i].Before(oks[j]) })
	for _, ok := range oks {
		if ok.After(t) {
			return ok
		}
	}
	return time.Time{}
}

// waitForAcks waits until n more writes than now are acknowledged.
func (l *load) waitForAcks(n int, within time.Duration) error {
	target := l.ackedCount() + n
	return poll(within, 20*time.Millisecond, func() bool { return l.ackedCount() >= target })
}
