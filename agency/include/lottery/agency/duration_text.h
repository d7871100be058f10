// A time left or taken as a person reads it on a clock: "M:SS", or "H:MM:SS" from an hour on.
// The same in every language, so not translated.
#pragma once

#include <QString>

namespace lottery::agency {

QString durationText(qint64 seconds);

} // namespace lottery::agency
