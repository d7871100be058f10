// agency-gui: the desktop app for one agency. All the work is in lottery::agency_gui; main()
// reads the command line, shows the window and, for scripted use, starts the upload and saves
// a screenshot once the session has ended:
//   exit 0  winners received (and, with --screenshot, the PNG saved)
//   exit 1  the upload failed, or the screenshot could not be saved
//   exit 2  bad command line
// The language: --lang es|en, else the one chosen in the window (QSettings ui/language), else
// the system locale's; Spanish falls back to English for anything untranslated.
#include "agency_window.h"
#include "command_line.h"

#include "common/log.h"
#include "common/translations.h"
#include "lottery/agency/user_messages.h"

#include <QApplication>
#include <QPixmap>
#include <QSettings>
#include <QTextStream>
#include <QTimer>

using namespace lottery;
using namespace lottery::gui;

namespace {

// Saves the window once it has shown the session's end, then quits with the session's result.
void screenshotWhenFinished(AgencyWindow &window, const QString &path)
{
    auto capture = [&window, path](bool winners) {
        // One more turn of the event loop so the last changes are laid out and painted.
        QTimer::singleShot(100, &window, [&window, path, winners] {
            const bool saved = window.grab().save(path, "PNG");
            if (saved)
                LOTTERY_LOG_SUCCESS("screenshot").field(u"file", path);
            else
                LOTTERY_LOG_FAIL("screenshot")
                    .field(u"file", path)
                    .field(u"error", "cannot write the PNG");
            QApplication::exit(saved && winners ? 0 : 1);
        });
    };
    UploadController *controller = window.controller();
    QObject::connect(
        controller, &UploadController::winnersReady, &window, [capture] { capture(true); });
    QObject::connect(controller, &UploadController::failed, &window, [capture] { capture(false); });
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Loteria"));
    QApplication::setApplicationName(QStringLiteral("agency-gui"));
    // The installed loteria-agencia.desktop: its name and icon for the window.
    QGuiApplication::setDesktopFileName(QStringLiteral("loteria-agencia"));

    QSettings settings;
    // Before the command line is parsed: its help and errors are in the chosen language too.
    const QString requested = languageArgument(QApplication::arguments());
    const auto language = parseLanguage(
        requested.isEmpty() ? settings.value(QStringLiteral("ui/language")).toString() : requested)
                              .value_or(systemLanguage());
    installTranslations(language, {QStringLiteral("agency"), agency::UserMessages::catalog()});

    const GuiCommandLine commandLine = GuiCommandLine::parse(QApplication::arguments());
    switch (commandLine.status) {
    case GuiCommandLine::Status::Help: QTextStream(stdout) << commandLine.text; return 0;
    case GuiCommandLine::Status::Error:
        LOTTERY_LOG_FAIL("config").field(u"error", commandLine.text);
        return 2;
    case GuiCommandLine::Status::Ok: break;
    }

    AgencyWindow window(&settings);
    UploadSettings fields = window.fields();
    commandLine.applyTo(fields);
    window.setFields(fields);
    if (!commandLine.screenshotPath.isEmpty())
        screenshotWhenFinished(window, commandLine.screenshotPath);
    window.show();
    if (commandLine.start)
        QTimer::singleShot(0, &window, &AgencyWindow::startUpload);
    return QApplication::exec();
}
