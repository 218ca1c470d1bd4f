// One persistent pool of worker threads shared by every kernel.
//
// The calling (JavaScript) thread always runs task 0 itself and then waits, so
// kernels stay synchronous. Workers spin briefly after each job (back-to-back
// kernels then start without a system call) and then sleep on a condition
// variable. The pool object is deliberately leaked: blocked workers never keep
// the process alive (libuv does not know about them), and no static destructor
// has to join them at exit.
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

struct Pool {
  std::mutex callMutex;  // one parallel region at a time (worker_threads may share the pool)
  std::vector<std::thread> workers;
  int size = 1;  // threads including the caller

  TaskFn fn = nullptr;
  void* ctx = nullptr;
  int jobThreads = 0;

  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  std::atomic<bool> stop{false};
  std::atomic<int> sleepers{0};
  std::mutex m;
  std::condition_variable cv;

  void worker(int index, uint64_t seen) {
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
      if (index < jobThreads) {
        run_task(index);
        pending.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  void run_task(int tid);

  void start(int n) {
    size = n < 1 ? 1 : n;
    stop.store(false);
    // Workers start from the generation current now: a job published before a
    // worker thread gets scheduled is still seen as new.
    const uint64_t g0 = generation.load();
    for (int i = 1; i < size; i++) workers.emplace_back([this, i, g0] { worker(i, g0); });
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

  void run(int n, TaskFn f, void* c);
};

thread_local bool tlsInRegion = false;

void Pool::run_task(int tid) {
  tlsInRegion = true;
  fn(ctx, tid, jobThreads);
  tlsInRegion = false;
}

void Pool::run(int n, TaskFn f, void* c) {
  fn = f;
  ctx = c;
  jobThreads = n;
  pending.store(n - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lk(m);
    generation.fetch_add(1, std::memory_order_release);
  }
  if (sleepers.load(std::memory_order_relaxed) > 0) cv.notify_all();
  run_task(0);
  // Workers normally finish within microseconds of each other; if one was
  // descheduled, stop burning this core after ~50 µs and yield instead.
  int spins = 0;
  while (pending.load(std::memory_order_acquire) > 0) {
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
  // Every pool thread takes part in every job (tasks beyond nthreads are
  // empty, tasks beyond the pool size are run round-robin), so the caller
  // waits for all workers and none can lag into the next job.
  struct Multi {
    TaskFn fn;
    void* ctx;
    int n;
  } mctx{fn, ctx, nthreads};
  p->run(p->size, [](void* c, int tid, int nt) {
    auto* m = static_cast<Multi*>(c);
    for (int t = tid; t < m->n; t += nt) m->fn(m->ctx, t, m->n);
  }, &mctx);
}

}  // namespace strata
