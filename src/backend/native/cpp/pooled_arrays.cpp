// Typed arrays over recycled native memory, for the outputs of kernels.
//
// `new Float32Array(n)` costs more than many kernels that fill it: V8 callocs
// its backing store, so every large tensor is zero-filled, usually on freshly
// mapped pages (a page fault per 4 KB). PyTorch avoids this with a caching
// allocator; this is Strata's: blocks of exactly the requested size are kept
// on free lists and handed out again, uninitialised. The arrays stay ordinary
// garbage-collected typed arrays: V8 calls the backing store's deleter when the
// array is collected (possibly on a GC helper thread, hence the mutex), and
// that returns the block to its free list. Nobody calls dispose().
//
// This one file uses V8's API directly (N-API has no backing-store deleter that
// runs at collection time: its external buffers are finalized from the event
// loop, which a synchronous training loop never reaches).
#include <napi.h>
#include <v8.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace strata {
namespace {

struct BlockPool {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free;  // by byte size
  size_t cachedBytes = 0;
  uint64_t reused = 0, allocated = 0;  // blocks handed out from a free list / fresh from the system
  // Beyond this many idle bytes, returned blocks go back to the system.
  static constexpr size_t kMaxCachedBytes = size_t(1) << 30;

  void* take(size_t bytes) {
    {
      std::lock_guard<std::mutex> lk(mu);
      auto it = free.find(bytes);
      if (it != free.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cachedBytes -= bytes;
        reused++;
        return p;
      }
      allocated++;
    }
    // Large blocks aligned to 2 MB, so that a system whose transparent huge pages are "always" on can map
    // them with 4 faults per 8 MB instead of 2,048. Not madvise(MADV_HUGEPAGE): where the kernel's THP defrag
    // policy is "madvise" (Debian's default), a fault in such a region compacts memory synchronously, and on
    // the Zen 5 VM that made a fresh 8 MB ReLU output cost 19 ms instead of 1.8 ms (a ResNet-18 training step
    // on one thread 15 % slower).
    constexpr size_t kHuge = size_t(2) << 20;
    if (bytes >= 2 * kHuge) return std::aligned_alloc(kHuge, (bytes + kHuge - 1) / kHuge * kHuge);
    return std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  }

  void give(void* p, size_t bytes) {
    {
      std::lock_guard<std::mutex> lk(mu);
      if (cachedBytes + bytes <= kMaxCachedBytes) {
        free[bytes].push_back(p);
        cachedBytes += bytes;
        return;
      }
    }
    std::free(p);
  }
};

// Leaked on purpose: arrays may be collected during isolate teardown, after static destructors.
BlockPool* gBlocks = new BlockPool();

// V8 counts every backing store as external memory and starts a GC after every few MB of new ones
// (this process's JavaScript heap is small, and its allocation limit counts external bytes too).
// A training step allocates hundreds of MB of activations and gradients, so that meant a full GC
// every few kernels, whose helper threads then competed with the kernel threads for the cores:
// a CIFAR ResNet-18 training step on 2 cores ran 10–15% slower.
//
// So pooled arrays are reported at 1/kReportedShare of their size while the pool's arrays in use have
// grown, since a collection last returned arrays, by less than a third of what was in use then (at least
// kMinQuietGrowth, at most kMaxQuietGrowth); past that they are reported in full, and V8 collects soon.
// (Half or more let a ResNet-18 training step peak at 1.2 GB in use instead of 0.6, past the blocks the
// pool had cached: ~18 fresh blocks per step, 25% slower.) Like a heap's growth factor: a few collections
// per training step (not ~10), while loops that keep little alive neither pile up much garbage (tested: RSS of a
// loop of garbage tensors) nor take many fresh blocks (each costs page faults: ~1 ms per 8 MB, up to
// 20 ms on a VM touching new memory).
//
// V8 subtracts the full size when it frees a backing store. The deleter (maybe on a GC thread, where
// the isolate can't be called) records the unreported part in the array's isolate's ledger, and a later
// pooledArray call on that isolate adds it back, but only once it exceeds kSettleBytes: V8 counts
// external memory added since its last full collection against the old generation's limit, measured
// from the lowest point since, which a scavenge's frees have just set. Adding back each scavenge's
// share as it came counted tens of MB of "growth" per scavenge, and with this process's small heap
// started a full collection after nearly every scavenge (~2 per ResNet-18 forward, ~8% of its time).
// Each settlement still starts one (its concurrent marking then competes with the kernels for the
// cores): at 256 MB a CIFAR ResNet-18 training step (~1.2 GB of arrays) took 4–5 of them and ran 8%
// slower than at 1 GB, where it takes about one. Until settled, V8's external-memory figure reads up
// to kSettleBytes low. (Isolates of worker threads
// share the in-use counters: with several, collections are only less timely.)
constexpr int64_t kReportedShare = 64;
constexpr int64_t kSettleBytes = int64_t(1) << 30;
constexpr int64_t kMinQuietGrowth = int64_t(128) << 20, kMaxQuietGrowth = int64_t(1) << 30, kQuietGrowthDivisor = 3;
std::atomic<int64_t> gInUse{0};        // bytes of pooled arrays not yet returned (live or awaiting collection)
std::atomic<int64_t> gInUseAfterGC{0}; // gInUse when a collection was last seen to have returned arrays
std::atomic<int64_t> gInUseLastCall{0};

/** Per isolate: unreported bytes of its returned arrays, to add back to its V8 count. Leaked (see gBlocks). */
struct alignas(8) Ledger {
  std::atomic<int64_t> toSettle{0};
};
std::mutex gLedgersMu;
std::unordered_map<v8::Isolate*, Ledger*> gLedgers;

Ledger* ledger_of(v8::Isolate* isolate) {
  thread_local v8::Isolate* cachedIsolate = nullptr;
  thread_local Ledger* cached = nullptr;
  if (isolate != cachedIsolate) {
    std::lock_guard<std::mutex> lk(gLedgersMu);
    Ledger*& l = gLedgers[isolate];
    if (!l) l = new Ledger();
    cachedIsolate = isolate;
    cached = l;
  }
  return cached;
}

/** Whether a new array of `size` bytes is to be reported at the small share (else in full). */
bool report_quietly(int64_t size) {
  const int64_t inUse = gInUse.fetch_add(size, std::memory_order_relaxed);
  // Only collections return arrays: a drop since the last call means one ran.
  if (inUse < gInUseLastCall.load(std::memory_order_relaxed)) gInUseAfterGC.store(inUse, std::memory_order_relaxed);
  gInUseLastCall.store(inUse + size, std::memory_order_relaxed);
  const int64_t after = gInUseAfterGC.load(std::memory_order_relaxed);
  return inUse + size <= after + std::clamp(after / kQuietGrowthDivisor, kMinQuietGrowth, kMaxQuietGrowth);
}

// The deleter's data: the ledger, with bit 0 set when the array was reported at the small share.
void release(void* data, size_t length, void* ledgerAndQuiet) {
  const uintptr_t tag = reinterpret_cast<uintptr_t>(ledgerAndQuiet);
  if (tag & 1) {
    const int64_t size = static_cast<int64_t>(length);
    reinterpret_cast<Ledger*>(tag & ~uintptr_t(1))->toSettle.fetch_add(size - size / kReportedShare, std::memory_order_relaxed);
  }
  gInUse.fetch_sub(static_cast<int64_t>(length), std::memory_order_relaxed);
  gBlocks->give(data, length);
}

}  // namespace

/** pooledArray(length, kind): an uninitialised Float32Array (kind 0) or Int32Array (kind 1) of `length` elements. */
Napi::Value PooledArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double len = info[0].As<Napi::Number>().DoubleValue();
  const int kind = info[1].As<Napi::Number>().Int32Value();
  if (!(len >= 1) || len > 1e12 || len != static_cast<double>(static_cast<size_t>(len)) || (kind != 0 && kind != 1)) {
    throw Napi::RangeError::New(env, "pooledArray: expected a positive integer length and kind 0 (float32) or 1 (int32)");
  }
  const size_t n = static_cast<size_t>(len), bytes = n * 4;
  void* p = gBlocks->take(bytes);
  if (!p) throw Napi::Error::New(env, "pooledArray: out of memory");
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  Ledger* ledger = ledger_of(isolate);
  if (ledger->toSettle.load(std::memory_order_relaxed) >= kSettleBytes)
    isolate->AdjustAmountOfExternalAllocatedMemory(ledger->toSettle.exchange(0, std::memory_order_relaxed));
  const int64_t size = static_cast<int64_t>(bytes);
  const bool quiet = report_quietly(size);
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      p, bytes, release, reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(ledger) | (quiet ? 1 : 0)));
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  if (quiet) isolate->AdjustAmountOfExternalAllocatedMemory(-(size - size / kReportedShare));
  v8::Local<v8::Value> array;
  if (kind == 0) array = v8::Float32Array::New(buffer, 0, n);
  else array = v8::Int32Array::New(buffer, 0, n);
  // A napi_value is a V8 local handle (valid in this callback's handle scope).
  return Napi::Value(env, reinterpret_cast<napi_value>(*array));
}

/** pooledStats(): { reused, allocated, cachedBytes, inUseBytes } of the block pool. */
Napi::Value PooledStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  std::lock_guard<std::mutex> lk(gBlocks->mu);
  o.Set("reused", Napi::Number::New(env, static_cast<double>(gBlocks->reused)));
  o.Set("allocated", Napi::Number::New(env, static_cast<double>(gBlocks->allocated)));
  o.Set("cachedBytes", Napi::Number::New(env, static_cast<double>(gBlocks->cachedBytes)));
  o.Set("inUseBytes", Napi::Number::New(env, static_cast<double>(gInUse.load())));
  return o;
}

}  // namespace strata
