#include "upload_stats.h"

#include <cmath>

namespace lottery::gui {

void UploadStats::reset()
{
    m_samples.clear();
}

void UploadStats::addSample(qint64 elapsedMs, qint64 acknowledged)
{
    m_samples.push_back(Sample {elapsedMs, acknowledged});
    // Keep one sample older than the window, so the window is always fully covered.
    while (m_samples.size() > 2 && elapsedMs - m_samples[1].elapsedMs >= kWindowMs)
        m_samples.pop_front();
}

double UploadStats::betsPerSecond() const
{
    if (m_samples.size() < 2)
        return 0.0;
    const Sample &first = m_samples.front();
    const Sample &last = m_samples.back();
    const qint64 spanMs = last.elapsedMs - first.elapsedMs;
    if (spanMs < 100)
        return 0.0;
    return static_cast<double>(last.acknowledged - first.acknowledged) * 1000.0
        / static_cast<double>(spanMs);
}

qint64 UploadStats::secondsLeft(qint64 total) const
{
    const double rate = betsPerSecond();
    if (m_samples.empty())
        return -1;
    const qint64 remaining = total - m_samples.back().acknowledged;
    if (remaining <= 0)
        return 0;
    if (rate <= 0.0)
        return -1;
    return static_cast<qint64>(std::ceil(static_cast<double>(remaining) / rate));
}

} // namespace lottery::gui
