// Typed arrays over recycled native memory, for the outputs of kernels.
//
// `new Float32Array(n)` costs more than many kernels that fill it: V8 callocs
// its backing store, so every large tensor is zero-filled, usually on freshly
// mapped pages (a page fault per 4 KB). PyTorch avoids this with a caching
// allocator; this is Strata's: blocks of exactly the requested size are kept
// on free lists and handed out again, uninitialised. The arrays stay ordinary
// garbage-collected typed arrays, and nobody calls dispose().
//
// Ownership. V8 sees a block as memory it neither owns nor counts (a backing
// store with an empty deleter). A weak handle on each ArrayBuffer says when V8
// has collected it, and its block then returns to its free list. So the
// external memory V8 counts for these arrays is exactly what this file reports
// to it, and that decides when V8 runs a full collection (see "When V8
// collects" below). The block must not outlive its ArrayBuffer, so moving the
// buffer elsewhere is refused: a detach key here blocks detaching
// (ArrayBuffer.prototype.transfer), and the JavaScript side marks each buffer
// untransferable for postMessage and structuredClone.
//
// This one file uses V8's API directly (N-API has neither backing stores with
// an empty deleter nor weak callbacks that run at collection time: its
// finalizers run from the event loop, which a synchronous training loop never
// reaches).
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
  std::mutex mu;  // isolates of worker threads share the pool
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

// When V8 collects.
//
// Two kinds of garbage, two kinds of collection:
//  - Arrays that die young (an inference pass's activations, the backward pass's gradients) are freed
//    by V8's young-generation collections (scavenges: ~0.3 ms here), which V8 itself starts only when
//    JavaScript objects fill the young generation: arrays of hundreds of MB would pile up in between.
//    So after every kYoungCollectionBytes of new arrays without a collection, this file asks for one.
//    V8's one API for that is meant for tests and needs --expose-gc, which the addon sets when it loads
//    (a side effect: `gc()` exists in contexts created afterwards).
//  - The arrays of a training step (activations kept for the backward pass) outlive several young
//    collections, so only full collections free them. V8 starts one when the external memory reported
//    since the last grows past a few MB. Reporting every array in full thus meant a full collection
//    every few kernels, and even at 1/64 of their size about three per CIFAR ResNet-18 training step.
//    Each marks the JavaScript heap concurrently for ~20 ms on a helper thread, which on 2 cores takes
//    a core from the kernels: a 64-channel convolution ran 1.4× slower inside the training loop than
//    alone.
//
// So arrays are reported to V8 only when a full collection is wanted, and then in full until V8 starts
// marking ("loud"); otherwise not at all ("quiet"). A full collection is wanted
//  - once autograd has released a graph (graphReleased(), after a backward pass): most of a step's
//    arrays just became garbage; unless the arrays in use have grown by less than kMinGrowth since the
//    last full collection (small models: young collections free what they drop);
//  - when the arrays in use outgrow what the last full collection left by a third (at least kMinGrowth,
//    at most kMaxGrowth), like a heap's growth factor, for programs without backward passes, but not
//    below the last training step's peak plus a quarter: a forward pass, whose arrays all stay alive,
//    then does not collect in vain.
// One full collection per training step instead of ~3, and ~10 young ones instead of ~30: a CIFAR
// ResNet-18 training step 270 → 245 ms on 2 cores.
constexpr int64_t kMinGrowth = int64_t(128) << 20, kMaxGrowth = int64_t(1) << 30;
constexpr int64_t kYoungCollectionBytes = int64_t(64) << 20;

struct LiveArray;

/** Per isolate (the main thread's and each worker's): its arrays and when to collect them. */
struct IsolateState {
  v8::Isolate* isolate = nullptr;
  v8::Global<v8::Symbol> detachKey;
  LiveArray* live = nullptr;          // this isolate's uncollected arrays (a doubly linked list)
  int64_t inUse = 0;                  // their bytes
  int64_t reportedCollected = 0;      // bytes reported to V8 of arrays since collected: subtracted on the next call
  int64_t inUseAfterFullGC = 0;       // inUse when the last full collection ended
  int64_t peakSinceRelease = 0;       // the highest inUse since the last graphReleased()
  int64_t quietCeiling = 0;           // the last training step's peak plus a quarter
  bool collectionWanted = false;      // report arrays loudly until V8 starts marking
  bool marking = false;               // V8 is marking: report only what outgrows inUseAtMarkingStart (see report_loudly)
  int64_t inUseAtMarkingStart = 0;
  int64_t allocatedSinceGC = 0;       // bytes of arrays made since V8's last collection of any kind
  bool tornDown = false;
};

struct LiveArray {
  v8::Global<v8::ArrayBuffer> buffer;
  IsolateState* owner;
  void* data;
  int64_t bytes;
  bool reported;
  LiveArray *prev, *next;
};

std::mutex gStatesMu;
std::unordered_map<v8::Isolate*, IsolateState*> gStates;  // states are leaked: a GC callback may outlive teardown
std::atomic<int64_t> gInUseAll{0};                       // over all isolates, for pooledStats()

void unlink(IsolateState* s, LiveArray* a) {
  (a->prev ? a->prev->next : s->live) = a->next;
  if (a->next) a->next->prev = a->prev;
  s->inUse -= a->bytes;
  gInUseAll.fetch_sub(a->bytes, std::memory_order_relaxed);
}

// Runs on the isolate's thread during a collection (first pass: no V8 calls but resetting the handle).
void on_collected(const v8::WeakCallbackInfo<LiveArray>& info) {
  LiveArray* a = info.GetParameter();
  a->buffer.Reset();
  IsolateState* s = a->owner;
  unlink(s, a);
  if (a->reported) s->reportedCollected += a->bytes;
  gBlocks->give(a->data, static_cast<size_t>(a->bytes));
  delete a;
}

void on_gc_start(v8::Isolate*, v8::GCType type, v8::GCCallbackFlags, void* data) {
  auto* s = static_cast<IsolateState*>(data);
  if (type & (v8::kGCTypeScavenge | v8::kGCTypeMinorMarkCompact | v8::kGCTypeMarkSweepCompact)) s->allocatedSinceGC = 0;
  if (type & (v8::kGCTypeIncrementalMarking | v8::kGCTypeMarkSweepCompact)) {
    if (!s->marking) s->inUseAtMarkingStart = s->inUse;
    s->marking = true;
    s->collectionWanted = false;
  }
}

void on_gc_end(v8::Isolate*, v8::GCType type, v8::GCCallbackFlags, void* data) {
  auto* s = static_cast<IsolateState*>(data);
  if (type & v8::kGCTypeMarkSweepCompact) {
    s->marking = false;
    s->inUseAfterFullGC = s->inUse;  // the weak callbacks of this collection have run
  }
}

// Environment teardown (a worker ending, or the process): no JavaScript can reach the arrays any more.
void on_teardown(void* data) {
  auto* s = static_cast<IsolateState*>(data);
  s->isolate->RemoveGCPrologueCallback(on_gc_start, s);
  s->isolate->RemoveGCEpilogueCallback(on_gc_end, s);
  while (LiveArray* a = s->live) {
    a->buffer.Reset();
    unlink(s, a);
    gBlocks->give(a->data, static_cast<size_t>(a->bytes));
    delete a;
  }
  s->detachKey.Reset();
  s->tornDown = true;
  std::lock_guard<std::mutex> lk(gStatesMu);
  gStates.erase(s->isolate);
}

IsolateState* state_of(napi_env env, v8::Isolate* isolate) {
  thread_local IsolateState* cached = nullptr;
  if (cached && cached->isolate == isolate && !cached->tornDown) return cached;
  std::lock_guard<std::mutex> lk(gStatesMu);
  IsolateState*& s = gStates[isolate];
  if (!s) {
    s = new IsolateState();
    s->isolate = isolate;
    s->detachKey.Reset(isolate, v8::Symbol::New(isolate));
    isolate->AddGCPrologueCallback(on_gc_start, s, v8::kGCTypeAll);
    isolate->AddGCEpilogueCallback(on_gc_end, s, v8::kGCTypeMarkSweepCompact);
    napi_add_env_cleanup_hook(env, on_teardown, s);
  }
  cached = s;
  return s;
}

int64_t growth_allowed(int64_t base) { return std::clamp(base / 3, kMinGrowth, kMaxGrowth); }

/** Whether a new array of `bytes` is to be reported to V8 (see "When V8 collects"). */
bool report_loudly(IsolateState* s, int64_t bytes) {
  const int64_t now = s->inUse + bytes;
  s->peakSinceRelease = std::max(s->peakSinceRelease, now);
  // While V8 marks, reports make it mark in steps on this thread, so that it finishes sooner: only
  // when the arrays keep growing as they would have to start a collection.
  if (s->marking) return now > s->inUseAtMarkingStart + growth_allowed(s->inUseAtMarkingStart);
  if (s->collectionWanted) return true;
  return now > std::max(s->quietCeiling, s->inUseAfterFullGC + growth_allowed(s->inUseAfterFullGC));
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
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  IsolateState* s = state_of(env, isolate);
  if (s->reportedCollected) {
    isolate->AdjustAmountOfExternalAllocatedMemory(-s->reportedCollected);
    s->reportedCollected = 0;
  }
  if ((s->allocatedSinceGC += static_cast<int64_t>(bytes)) > kYoungCollectionBytes) {
    // Returns this isolate's young garbage arrays to the free lists before taking a block.
    isolate->RequestGarbageCollectionForTesting(v8::Isolate::kMinorGarbageCollection);
  }
  void* p = gBlocks->take(bytes);
  if (!p) throw Napi::Error::New(env, "pooledArray: out of memory");

  auto* a = new LiveArray{{}, s, p, static_cast<int64_t>(bytes), report_loudly(s, static_cast<int64_t>(bytes)), nullptr, s->live};
  if (s->live) s->live->prev = a;
  s->live = a;
  s->inUse += a->bytes;
  gInUseAll.fetch_add(a->bytes, std::memory_order_relaxed);

  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(p, bytes, v8::BackingStore::EmptyDeleter, nullptr);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  buffer->SetDetachKey(s->detachKey.Get(isolate));
  a->buffer.Reset(isolate, buffer);
  a->buffer.SetWeak(a, on_collected, v8::WeakCallbackType::kParameter);
  if (a->reported) isolate->AdjustAmountOfExternalAllocatedMemory(a->bytes);

  v8::Local<v8::Value> array;
  if (kind == 0) array = v8::Float32Array::New(buffer, 0, n);
  else array = v8::Int32Array::New(buffer, 0, n);
  // A napi_value is a V8 local handle (valid in this callback's handle scope).
  return Napi::Value(env, reinterpret_cast<napi_value>(*array));
}

/**
 * graphReleased(): autograd has released a graph's saved tensors (a backward pass without retainGraph), so
 * most arrays of a training step are garbage now: a full collection is wanted, unless they were few.
 */
Napi::Value GraphReleased(const Napi::CallbackInfo& info) {
  IsolateState* s = state_of(info.Env(), v8::Isolate::GetCurrent());
  if (s->inUse - s->inUseAfterFullGC >= kMinGrowth) {
    s->quietCeiling = s->peakSinceRelease + s->peakSinceRelease / 4;
    s->collectionWanted = !s->marking;
  }
  s->peakSinceRelease = s->inUse;
  return info.Env().Undefined();
}

/** Called once when the addon loads: young collections on request need --expose-gc (see above). */
void EnableRequestedCollections() {
  static std::once_flag once;  // flags are process-wide; workers load the addon too
  std::call_once(once, [] { v8::V8::SetFlagsFromString("--expose-gc"); });
}

/** pooledStats(): { reused, allocated, cachedBytes, inUseBytes } of the block pool. */
Napi::Value PooledStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  std::lock_guard<std::mutex> lk(gBlocks->mu);
  o.Set("reused", Napi::Number::New(env, static_cast<double>(gBlocks->reused)));
  o.Set("allocated", Napi::Number::New(env, static_cast<double>(gBlocks->allocated)));
  o.Set("cachedBytes", Napi::Number::New(env, static_cast<double>(gBlocks->cachedBytes)));
  o.Set("inUseBytes", Napi::Number::New(env, static_cast<double>(gInUseAll.load())));
  return o;
}

}  // namespace strata
