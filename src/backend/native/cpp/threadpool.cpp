// One persistent pool of worker threads shared by every kernel.
//
// A job is a count of tasks. Every participant (the calling JavaScript thread
// and each worker) claims the next unclaimed task until none is left, and the
// caller returns when every task has finished, so kernels stay synchronous. A
// worker the OS (or V8's garbage-collector helpers) holds back therefore never
// keeps a task waiting: the caller takes the tasks it has not begun. Workers
// spin briefly after each job (back-to-back kernels then start without a system
// call) and then sleep on a condition variable. The pool object is deliberately
// leaked: blocked workers never keep the process alive (libuv does not know
// about them), and no static destructor has to join them at exit.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>
#ifdef __linux__
#include <sched.h>
#endif

#include "strata.h"

namespace strata {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Workers poll for ~0.3 ms after a job before sleeping: the JavaScript between
// two kernels of a training step usually takes less, and waking a sleeping
// thread costs tens of µs (more on a virtual machine). Longer polling starves
// other processes (and this one's JavaScript thread) on a busy machine.
constexpr int64_t kSpinNanos = 300000;

// The claim ticket packs the job's serial number, its task count and the next
// unclaimed task into one word, so one compare-and-swap both checks that the
// job is still the current one and claims a task of it: a worker that wakes up
// late can never take a task of a later job it has not seen.
constexpr int kTaskBits = 16;
constexpr uint64_t kTaskMask = (uint64_t(1) << kTaskBits) - 1;
constexpr int kMaxTasks = int(kTaskMask);
inline uint64_t make_ticket(uint64_t job, uint64_t tasks, uint64_t next) {
  return (job << (2 * kTaskBits)) | (tasks << kTaskBits) | next;
}

thread_local bool tlsInRegion = false;  // running a task: nested parallel calls run inline

struct Pool {
  std::mutex callMutex;  // one parallel region at a time (worker_threads may share the pool)
  std::vector<std::thread> workers;
  int size = 1;  // threads including the caller

  // Set before the ticket that publishes a job; stable until all its tasks are done.
  TaskFn fn = nullptr;
  void* ctx = nullptr;
  uint64_t jobs = 0;

  std::atomic<uint64_t> ticket{0};
  std::atomic<int> unfinished{0};
  std::atomic<uint64_t> generation{0};  // wakes the workers
  std::atomic<bool> stop{false};
  std::atomic<int> sleepers{0};
  std::mutex m;
  std::condition_variable cv;

  std::atomic<bool> workersHeld{false};  // tests: workers claim nothing, the caller runs every task

  /** Claims and runs tasks of the current job until none is left unclaimed. */
  void run_claimed() {
    uint64_t t = ticket.load(std::memory_order_acquire);
    for (;;) {
      const uint64_t tasks = (t >> kTaskBits) & kTaskMask, next = t & kTaskMask;
      if (next >= tasks) return;
      if (!ticket.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      // The job cannot end while this claimed task is unfinished, so fn and ctx are its own.
      tlsInRegion = true;
      fn(ctx, static_cast<int>(next), static_cast<int>(tasks));
      tlsInRegion = false;
      unfinished.fetch_sub(1, std::memory_order_acq_rel);
      t = ticket.load(std::memory_order_acquire);
    }
  }

  void worker(uint64_t seen) {
    for (;;) {
      uint64_t g;
      int spins = 0;
      auto spinStart = std::chrono::steady_clock::now();
      while ((g = generation.load(std::memory_order_acquire)) == seen) {
        if (stop.load(std::memory_order_relaxed)) return;
        if ((++spins & 255) != 0 ||
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - spinStart).count() <
                kSpinNanos) {
          cpu_relax();
          continue;
        }
        std::unique_lock<std::mutex> lk(m);
        sleepers.fetch_add(1, std::memory_order_relaxed);
        cv.wait(lk, [&] { return generation.load(std::memory_order_acquire) != seen || stop.load(); });
        sleepers.fetch_sub(1, std::memory_order_relaxed);
        spins = 0;
        spinStart = std::chrono::steady_clock::now();
      }
      seen = g;
      if (stop.load()) return;
      if (!workersHeld.load(std::memory_order_relaxed)) run_claimed();
    }
  }

  void start(int n) {
    size = n < 1 ? 1 : n;
    stop.store(false);
    // Workers start from the generation current now: a job published before a
    // worker thread gets scheduled is still seen as new.
    const uint64_t g0 = generation.load();
    for (int i = 1; i < size; i++) workers.emplace_back([this, g0] { worker(g0); });
  }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lk(m);
      stop.store(true);
    }
    cv.notify_all();
    for (auto& t : workers) t.join();
    workers.clear();
    size = 1;
  }

  void run(int tasks, TaskFn f, void* c);
};

void Pool::run(int tasks, TaskFn f, void* c) {
  fn = f;
  ctx = c;
  unfinished.store(tasks, std::memory_order_relaxed);
  ticket.store(make_ticket(++jobs & 0xffffffffu, static_cast<uint64_t>(tasks), 0), std::memory_order_release);
  {
    std::lock_guard<std::mutex> lk(m);
    generation.fetch_add(1, std::memory_order_release);
  }
  if (sleepers.load(std::memory_order_relaxed) > 0) cv.notify_all();
  run_claimed();
  // The tasks left are running on workers; if one was descheduled mid-task,
  // stop burning this core after ~50 µs and yield instead.
  int spins = 0;
  while (unfinished.load(std::memory_order_acquire) > 0) {
    if (++spins < 2000) cpu_relax();
    else std::this_thread::yield();
  }
}

int default_threads() {
  const char* env = std::getenv("STRATA_NUM_THREADS");
  if (env && *env) {
    int n = std::atoi(env);
    if (n >= 1) return n > 256 ? 256 : n;
  }
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n >= 1) return n;
  }
#endif
  unsigned hc = std::thread::hardware_concurrency();
  return hc >= 1 ? static_cast<int>(hc) : 1;
}

std::mutex gPoolInit;
Pool* gPool = nullptr;       // leaked on purpose (see above)
int gWantedThreads = 0;      // 0: not decided yet

Pool* get_pool() {
  std::lock_guard<std::mutex> lk(gPoolInit);
  if (!gWantedThreads) gWantedThreads = default_threads();
  if (!gPool) {
    gPool = new Pool();
    gPool->start(gWantedThreads);
  }
  return gPool;
}

}  // namespace

bool in_parallel_region() { return tlsInRegion; }

int max_threads() {
  std::lock_guard<std::mutex> lk(gPoolInit);
  if (!gWantedThreads) gWantedThreads = default_threads();
  return gWantedThreads;
}

void set_max_threads(int n) {
  if (n < 1) n = 1;
  if (n > 256) n = 256;
  Pool* p;
  {
    std::lock_guard<std::mutex> lk(gPoolInit);
    gWantedThreads = n;
    p = gPool;
  }
  if (!p) return;  // started lazily with the new size
  std::lock_guard<std::mutex> call(p->callMutex);
  p->shutdown();
  p->start(n);
}

void hold_pool_workers(bool hold) { get_pool()->workersHeld.store(hold); }

void parallel_raw(int nthreads, TaskFn fn, void* ctx) {
  if (nthreads <= 1 || tlsInRegion) {
    for (int t = 0; t < nthreads; t++) fn(ctx, t, nthreads);
    return;
  }
  Pool* p = get_pool();
  std::unique_lock<std::mutex> call(p->callMutex, std::try_to_lock);
  if (!call.owns_lock() || p->size < 2) {
    // Another JS thread is using the pool (or it has one thread): run here.
    bool was = tlsInRegion;
    tlsInRegion = true;
    for (int t = 0; t < nthreads; t++) fn(ctx, t, nthreads);
    tlsInRegion = was;
    return;
  }
  if (nthreads <= kMaxTasks) {
    p->run(nthreads, fn, ctx);
    return;
  }
  // More tasks than a ticket counts: as many claimable tasks as threads, each running every size-th one.
  struct Strided {
    TaskFn fn;
    void* ctx;
    int n;
  } sctx{fn, ctx, nthreads};
  p->run(p->size, [](void* c, int part, int parts) {
    auto* s = static_cast<Strided*>(c);
    for (int t = part; t < s->n; t += parts) s->fn(s->ctx, t, s->n);
  }, &sctx);
}

}  // namespace strata
