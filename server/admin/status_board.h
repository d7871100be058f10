// The hand-over of the server's state from its main thread to the admin thread (docs/ADMIN.md).
//
// LotteryServer's sessions, listener, upload slots and shutdown phase belong to the main thread;
// the console runs in a thread of its own. The board lives in the main thread and is the only
// place where the two meet: the admin thread asks for a snapshot, the board takes it in the main
// thread (StatusSnapshot is a plain copy of counts) and hands it over under its mutex. A snapshot
// younger than the asked age is shared, so the main thread builds at most one per that age
// whatever the request rate, and the asking thread waits a bounded time: if the main thread does
// not answer, the reader gets the last snapshot, marked stale, and says so (/healthz, /readyz).
#pragma once

#include "server/status_snapshot.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QObject>
#include <QWaitCondition>

#include <functional>

namespace lottery::server {

class StatusBoard : public QObject
{
    Q_OBJECT
public:
    using Provider = std::function<StatusSnapshot()>;

    struct Reading {
        StatusSnapshot snapshot;
        bool fresh = false; // taken within the asked age (else: the main thread did not answer)
        qint64 ageMs = -1; // -1: no snapshot was ever taken
    };

    // Lives in the thread that may call `provider` (the main thread).
    explicit StatusBoard(Provider provider, QObject *parent = nullptr);

    // Any thread but the board's own: a snapshot at most maxAgeMs old, asking the board's thread
    // for a new one and waiting up to waitMs for it. Never blocks longer than waitMs.
    Reading read(int maxAgeMs, int waitMs);

    // The board's thread: takes a snapshot now (at start, before anyone reads).
    void publish();

    // Any thread: readers stop waiting at once (shutdown); read() then returns what it has.
    void close();

private:
    const Provider m_provider;
    QMutex m_mutex;
    QWaitCondition m_published;
    StatusSnapshot m_latest; // guarded by m_mutex, as every member below
    QElapsedTimer m_takenAt; // invalid until the first snapshot
    quint64 m_generation = 0; // snapshots taken
    bool m_requested = false; // a publish() is queued to the board's thread
    bool m_closed = false;
};

} // namespace lottery::server
