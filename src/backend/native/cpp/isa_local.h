// Helpers private to one ISA translation unit. Included INSIDE an anonymous
// namespace, so nothing here can be merged with another level's copy by the
// linker (std::vector's out-of-line members could be, see strata.h).
#pragma once

/** A heap array (uninitialized unless a fill value is given). */
template <class T>
struct Buf {
  T* p = nullptr;
  size_t n = 0;
  Buf() = default;
  explicit Buf(size_t count) { resize(count); }
  Buf(size_t count, T fill) {
    resize(count);
    for (size_t i = 0; i < count; i++) p[i] = fill;
  }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  Buf(Buf&& o) noexcept : p(o.p), n(o.n) {
    o.p = nullptr;
    o.n = 0;
  }
  Buf& operator=(Buf&& o) noexcept {
    std::swap(p, o.p);
    std::swap(n, o.n);
    return *this;
  }
  ~Buf() { std::free(p); }
  void resize(size_t count) {
    if (count <= n) return;
    T* q = static_cast<T*>(std::malloc(sizeof(T) * (count ? count : 1)));
    if (!q) std::abort();
    for (size_t i = 0; i < n; i++) q[i] = p[i];
    std::free(p);
    p = q;
    n = count;
  }
  T* data() { return p; }
  const T* data() const { return p; }
  size_t size() const { return n; }
  T& operator[](size_t i) { return p[i]; }
  const T& operator[](size_t i) const { return p[i]; }
};

/** Lanes First, First + 2, First + 4, … of the 2·Wn lanes of a then b (V: a vector of Wn floats, I: of Wn
    int32; First 0 or 1): one shuffle. */
template <class V, class I, int Wn, int First = 0>
inline V even_lanes_of(V a, V b) {
#if defined(__clang__)
  V r;
  for (int j = 0; j < Wn; j++) r[j] = j < Wn / 2 ? a[2 * j + First] : b[2 * j + First - Wn];
  return r;
#else
  I m;
#pragma GCC unroll 16
  for (int j = 0; j < Wn; j++) m[j] = 2 * j + First;
  return __builtin_shuffle(a, b, m);
#endif
}
