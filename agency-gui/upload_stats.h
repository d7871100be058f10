// Upload speed and time left, from (time, bets acknowledged) samples over a sliding window, so
// the numbers follow the current speed rather than the average since the start.
#pragma once

#include <QtGlobal>

#include <deque>

namespace lottery::gui {

class UploadStats
{
public:
    static constexpr qint64 kWindowMs = 3000;

    void reset();
    void addSample(qint64 elapsedMs, qint64 acknowledged);

    // Bets per second; 0 until two samples at least 100 ms apart exist.
    double betsPerSecond() const;
    // Whole seconds to reach `total`; -1 while the rate is unknown.
    qint64 secondsLeft(qint64 total) const;

private:
    struct Sample {
        qint64 elapsedMs;
        qint64 acknowledged;
    };
    std::deque<Sample> m_samples;
};

} // namespace lottery::gui
