// Carries work results from pool threads back to the thread that owns this object.
//
// A queued call with captured data (QMetaObject::invokeMethod with a lambda) hands that data over
// inside Qt's own event queue, which ThreadSanitizer cannot see in Debian's (uninstrumented) Qt.
// Here the data goes through a QMutex, whose inline code carries Qt's TSan annotations, and the
// queued call only says "look at the queue": every hand-off is visible to TSan, so its reports are
// about our code.
#pragma once

#include <QMutex>
#include <QObject>

#include <functional>
#include <vector>

namespace lottery::server {

class ResultQueue : public QObject
{
    Q_OBJECT
public:
    explicit ResultQueue(QObject *parent = nullptr) : QObject(parent) { }

    // Any thread: runs `result` later in this object's thread, in posting order.
    void post(std::function<void()> result);

private:
    Q_INVOKABLE void runPosted();

    QMutex m_mutex;
    std::vector<std::function<void()>> m_pending;
};

} // namespace lottery::server
