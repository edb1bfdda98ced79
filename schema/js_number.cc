// JavaScript numbers: Number.prototype.toString, and number tokens as
// JSON.stringify(JSON.parse(token)) writes them.

#include <locale.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "schema/js_json.h"
#include "schema/js_json_internal.h"

namespace sessionlog {
namespace js_json_internal {
namespace {

// strtod in the "C" locale whatever the process locale is: correctly rounded,
// overflow to +-HUGE_VAL, underflow to (signed) zero or a subnormal.
double ParseDouble(const std::string& text) {
  static locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{0});
  return strtod_l(text.c_str(), nullptr, c_locale);
}

}  // namespace

void AppendJsNumberToken(absl::string_view number, bool integer,
                         std::string* out) {
  // An integer of at most 15 digits is exact in a double and prints as
  // written (JSON allows no leading zeros); only -0 changes.
  size_t digit_count = number.size() - (number[0] == '-' ? 1 : 0);
  if (integer && digit_count <= 15) {
    if (number == "-0") number = "0";
    out->append(number.data(), number.size());
    return;
  }
  double value = ParseDouble(std::string(number));
  // JSON.parse overflows to +-Infinity, which JSON.stringify writes as null.
  if (std::isinf(value)) {
    out->append("null");
  } else {
    out->append(JsNumberToString(value));
  }
}

}  // namespace js_json_internal

std::string JsNumberToString(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x == 0) return "0";  // Both zeros.
  std::string sign = x < 0 ? "-" : "";
  // Shortest round-trip digits; among equally short ones the closest, which
  // is what ECMAScript's Number::toString picks.
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), std::fabs(x),
                              std::chars_format::scientific);
  absl::string_view sci(buf, result.ptr - buf);  // "d[.ddd]e[+-]xx"
  size_t e_pos = sci.find('e');
  std::string digits(1, sci[0]);
  if (e_pos > 1) digits.append(sci.data() + 2, e_pos - 2);
  int exponent = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // x = 0.digits * 10^n
  if (k <= n && n <= 21) {
    return sign + digits + std::string(n - k, '0');
  }
  if (0 < n && n <= 21) {
    return sign + digits.substr(0, n) + "." + digits.substr(n);
  }
  if (-6 < n && n <= 0) {
    return sign + "0." + std::string(-n, '0') + digits;
  }
  std::string mantissa =
      k == 1 ? digits : digits.substr(0, 1) + "." + digits.substr(1);
  return absl::StrCat(sign, mantissa, "e", n - 1 >= 0 ? "+" : "-",
                      std::abs(n - 1));
}

}  // namespace sessionlog
