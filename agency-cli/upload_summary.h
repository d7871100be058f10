// Per-batch acknowledgement latency (BATCH written to the socket -> its ACK read) and the
// process's peak memory, summed up in one `resumen` log line at exit for the benchmark.
// Fixed memory whatever the file size: a log-scale histogram, not a list of samples.
#pragma once

#include <QElapsedTimer>
#include <QObject>

#include <array>
#include <deque>
#include <utility>

namespace lottery::agency {

class AgencySession;

// Log-scale histogram of microsecond values: 32 buckets per power of two (about 2% resolution).
class LatencyHistogram
{
public:
    void add(qint64 micros);
    qint64 count() const { return m_count; }
    // The value at or below which `fraction` (0..1) of the samples lie; 0 when empty.
    double percentileMicros(double fraction) const;
    qint64 maxMicros() const { return m_max; }

private:
    static constexpr int kSubBuckets = 32;
    static constexpr int kBuckets = 40 * kSubBuckets;
    static int bucketOf(qint64 micros);
    static double lowerBoundOf(int bucket);

    std::array<qint64, kBuckets> m_buckets {};
    qint64 m_count = 0;
    qint64 m_max = 0;
};

class UploadSummary : public QObject
{
    Q_OBJECT
public:
    explicit UploadSummary(AgencySession *session, QObject *parent = nullptr);

    const LatencyHistogram &ackLatency() const { return m_latency; }
    // Writes `action: resumen | result: success | ...`.
    void logSummary() const;

private:
    const AgencySession *m_session;
    QElapsedTimer m_clock;
    std::deque<std::pair<quint64, qint64>> m_sent; // (sequence, send time in ns), in order
    LatencyHistogram m_latency;
};

} // namespace lottery::agency
