#include "bench/compare/latency.h"

#include <algorithm>

namespace sessionlog::bench {

double Latencies::QuantileMicros(double q) {
  if (micros_.empty()) return 0;
  const size_t rank = std::min(
      micros_.size() - 1, static_cast<size_t>(q * (micros_.size() - 1) + 0.5));
  std::nth_element(micros_.begin(), micros_.begin() + rank, micros_.end());
  return micros_[rank];
}

}  // namespace sessionlog::bench
