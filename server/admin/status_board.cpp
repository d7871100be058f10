#include "server/admin/status_board.h"

#include "server/tsan_annotations.h"

#include <QDeadlineTimer>
#include <QMetaObject>

namespace lottery::server {

StatusBoard::StatusBoard(Provider provider, QObject *parent)
    : QObject(parent), m_provider(std::move(provider))
{
}

StatusBoard::Reading StatusBoard::read(int maxAgeMs, int waitMs)
{
    const QDeadlineTimer deadline(waitMs);
    QMutexLocker locker(&m_mutex);
    const auto current
        = [this, maxAgeMs] { return m_takenAt.isValid() && m_takenAt.elapsed() <= maxAgeMs; };
    // Fresh: current when asked, or taken since (however long this thread took to notice).
    const bool wasCurrent = current();
    const quint64 before = m_generation;
    if (!wasCurrent && !m_closed) {
        if (!m_requested) {
            m_requested = true;
            // Runs in the board's thread at its next loop iteration.
            QMetaObject::invokeMethod(this, &StatusBoard::publish, Qt::QueuedConnection);
        }
        while (m_generation == before && !m_closed) {
            // Qt's library unlocks and relocks the mutex out of ThreadSanitizer's view.
            tsan::WaitAnnotation annotation(&m_mutex);
            if (!m_published.wait(&m_mutex, deadline))
                break;
        }
    }
    Reading reading;
    reading.snapshot = m_latest;
    reading.fresh = wasCurrent || m_generation != before;
    reading.ageMs = m_takenAt.isValid() ? m_takenAt.elapsed() : -1;
    return reading;
}

void StatusBoard::publish()
{
    // Built outside the lock: a reader never waits on the pass over the sessions.
    StatusSnapshot snapshot = m_provider();
    QMutexLocker locker(&m_mutex);
    m_latest = std::move(snapshot);
    m_takenAt.start();
    ++m_generation;
    m_requested = false;
    m_published.wakeAll();
}

void StatusBoard::close()
{
    QMutexLocker locker(&m_mutex);
    m_closed = true;
    m_published.wakeAll();
}

} // namespace lottery::server
