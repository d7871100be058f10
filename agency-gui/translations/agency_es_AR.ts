<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_AR">
<context>
    <name>GuiCommandLine</name>
    <message>
        <source>Uploads one agency&apos;s bets to the lottery server and shows its winners.</source>
        <translation>Sube las apuestas de una agencia al servidor de la lotería y muestra sus ganadores.</translation>
    </message>
    <message>
        <source>Show this help.</source>
        <translation>Muestra esta ayuda.</translation>
    </message>
    <message>
        <source>Agency number (1 or more).</source>
        <translation>Número de agencia (1 o más).</translation>
    </message>
    <message>
        <source>The agency&apos;s bets file (CSV).</source>
        <translation>El archivo de apuestas de la agencia (CSV).</translation>
    </message>
    <message>
        <source>Bets per batch (1..65535).</source>
        <translation>Apuestas por lote (1..65535).</translation>
    </message>
    <message>
        <source>Start the upload at once.</source>
        <translation>Empieza a subir en seguida.</translation>
    </message>
    <message>
        <source>Save a PNG of the window once the winners (or an error) are shown, then quit: exit code 0 only if the winners were received.</source>
        <translation>Guarda un PNG de la ventana cuando muestra los ganadores (o un error) y sale: código de salida 0 solo si se recibieron los ganadores.</translation>
    </message>
    <message>
        <source>PEM CA to verify the server with (TLS).</source>
        <translation>CA en PEM con la que verificar el servidor (TLS).</translation>
    </message>
    <message>
        <source>File holding the agency&apos;s token.</source>
        <translation>Archivo con el token de la agencia.</translation>
    </message>
    <message>
        <source>Language of the window: es (Spanish) or en (English); default: the one chosen in the window, else the system&apos;s.</source>
        <translation>Idioma de la ventana: es (español) o en (inglés); por omisión, el elegido en la ventana o, si no, el del sistema.</translation>
    </message>
    <message>
        <source>unexpected argument &apos;%1&apos;</source>
        <translation>argumento inesperado &apos;%1&apos;</translation>
    </message>
    <message>
        <source>--agency must be a number of 1 or more, not &apos;%1&apos;</source>
        <translation>--agency debe ser un número de 1 o más, no &apos;%1&apos;</translation>
    </message>
    <message>
        <source>--file needs a path</source>
        <translation>--file necesita una ruta</translation>
    </message>
    <message>
        <source>--batch-size must be in 1..65535, not &apos;%1&apos;</source>
        <translation>--batch-size debe estar entre 1 y 65535, no &apos;%1&apos;</translation>
    </message>
    <message>
        <source>--lang must be es or en, not &apos;%1&apos;</source>
        <translation>--lang debe ser es o en, no &apos;%1&apos;</translation>
    </message>
    <message>
        <source>--screenshot needs a path</source>
        <translation>--screenshot necesita una ruta</translation>
    </message>
    <message>
        <source>Server address, or a list of them to fail over along in order.</source>
        <translation>Dirección del servidor, o una lista de direcciones que se recorre en orden cuando una falla.</translation>
    </message>
</context>
<context>
    <name>UserMessages</name>
    <message>
        <source>The server could not understand what this app sent. Update the app; if it keeps happening, tell the lottery&apos;s support.</source>
        <translation>El servidor no pudo entender lo que envió esta aplicación. Actualice la aplicación; si sigue pasando, avise al soporte de la lotería.</translation>
    </message>
    <message>
        <source>The app sent a message larger than the server accepts. Try a smaller batch size.</source>
        <translation>La aplicación envió un mensaje más grande de lo que acepta el servidor. Pruebe con lotes más chicos.</translation>
    </message>
    <message>
        <source>The server does not know a message this app sent: the app and the server are of different versions.</source>
        <translation>El servidor no conoce un mensaje que envió esta aplicación: la aplicación y el servidor son de versiones distintas.</translation>
    </message>
    <message>
        <source>This app and the server speak different protocol versions. Install the version of the app the lottery asks for.</source>
        <translation>Esta aplicación y el servidor usan versiones distintas del protocolo. Instale la versión de la aplicación que pide la lotería.</translation>
    </message>
    <message>
        <source>The server received a message at the wrong moment. Press Retry; if it keeps happening, tell the lottery&apos;s support.</source>
        <translation>El servidor recibió un mensaje en un momento equivocado. Pulse Reintentar; si sigue pasando, avise al soporte de la lotería.</translation>
    </message>
    <message>
        <source>The server does not know this agency number. Check the agency number.</source>
        <translation>El servidor no conoce este número de agencia. Revise el número de agencia.</translation>
    </message>
    <message>
        <source>The server refused a bet of the file. Check the file&apos;s invalid rows.</source>
        <translation>El servidor rechazó una apuesta del archivo. Revise las filas inválidas del archivo.</translation>
    </message>
    <message>
        <source>This agency already finished its upload; the server takes no more bets from it.</source>
        <translation>Esta agencia ya terminó de subir; el servidor no acepta más apuestas de ella.</translation>
    </message>
    <message>
        <source>The server could not store the bets safely; nothing of the failed batch was kept. Try again later.</source>
        <translation>El servidor no pudo guardar las apuestas de forma segura; no se guardó nada del lote fallido. Vuelva a intentar más tarde.</translation>
    </message>
    <message>
        <source>The server refused the agency&apos;s token. Check the token file.</source>
        <translation>El servidor rechazó el token de la agencia. Revise el archivo del token.</translation>
    </message>
    <message>
        <source>The server is busy with too many agencies. Try again in a few minutes.</source>
        <translation>El servidor está ocupado con demasiadas agencias. Vuelva a intentar en unos minutos.</translation>
    </message>
    <message>
        <source>The server is shutting down. Try again in a few minutes.</source>
        <translation>El servidor se está apagando. Vuelva a intentar en unos minutos.</translation>
    </message>
    <message>
        <source>The server closed the connection because this app was too slow. Check the network and press Retry.</source>
        <translation>El servidor cerró la conexión porque esta aplicación tardó demasiado. Revise la red y pulse Reintentar.</translation>
    </message>
    <message>
        <source>Another upload of the same agency replaced this one.</source>
        <translation>Otra subida de la misma agencia reemplazó a esta.</translation>
    </message>
    <message>
        <source>The server had an internal error. Tell the lottery&apos;s support.</source>
        <translation>El servidor tuvo un error interno. Avise al soporte de la lotería.</translation>
    </message>
    <message>
        <source>The server reported an unknown error (code %1).</source>
        <translation>El servidor informó un error desconocido (código %1).</translation>
    </message>
    <message>
        <source>Some settings are not valid. Check them.</source>
        <translation>Algunos datos de configuración no son válidos. Revíselos.</translation>
    </message>
    <message>
        <source>The bets file cannot be read. Check that it exists.</source>
        <translation>No se puede leer el archivo de apuestas. Revise que exista.</translation>
    </message>
    <message>
        <source>The server does not answer. Check the address and port, and that the server is running.</source>
        <translation>El servidor no responde. Revise la dirección y el puerto, y que el servidor esté funcionando.</translation>
    </message>
    <message>
        <source>The server reported an error.</source>
        <translation>El servidor informó un error.</translation>
    </message>
    <message>
        <source>The server refused a batch of bets.</source>
        <translation>El servidor rechazó un lote de apuestas.</translation>
    </message>
    <message>
        <source>The server answered something this app does not understand: they may be of different versions.</source>
        <translation>El servidor respondió algo que esta aplicación no entiende: pueden ser de versiones distintas.</translation>
    </message>
    <message>
        <source>The connection to the server was lost. Press Retry: the upload resumes where it stopped.</source>
        <translation>Se perdió la conexión con el servidor. Pulse Reintentar: la subida sigue donde quedó.</translation>
    </message>
    <message>
        <source>The server stopped answering. Press Retry: the upload resumes where it stopped.</source>
        <translation>El servidor dejó de responder. Pulse Reintentar: la subida sigue donde quedó.</translation>
    </message>
    <message>
        <source>The secure connection failed: the server&apos;s certificate does not match the CA file, or the CA file is not usable.</source>
        <translation>Falló la conexión segura: el certificado del servidor no coincide con el archivo de la CA, o el archivo de la CA no sirve.</translation>
    </message>
    <message>
        <source>The upload failed.</source>
        <translation>La subida falló.</translation>
    </message>
    <message>
        <source>first name</source>
        <translation>el nombre</translation>
    </message>
    <message>
        <source>last name</source>
        <translation>el apellido</translation>
    </message>
    <message>
        <source>document</source>
        <translation>el documento</translation>
    </message>
    <message>
        <source>birthdate</source>
        <translation>la fecha de nacimiento</translation>
    </message>
    <message>
        <source>number</source>
        <translation>el número</translation>
    </message>
    <message>
        <source>field</source>
        <translation>el campo</translation>
    </message>
    <message>
        <source>badly placed quotes</source>
        <translation>comillas mal puestas</translation>
    </message>
    <message>
        <source>expected 5 fields, found %1</source>
        <translation>se esperaban 5 campos y hay %1</translation>
    </message>
    <message>
        <source>the line is longer than %1 bytes</source>
        <translation>la línea tiene más de %1 bytes</translation>
    </message>
    <message>
        <source>%1 is empty</source>
        <translation>falta %1</translation>
    </message>
    <message>
        <source>%1 is longer than %2 bytes</source>
        <translation>%1 tiene más de %2 bytes</translation>
    </message>
    <message>
        <source>%1 is not valid UTF-8 text</source>
        <translation>%1 no es texto UTF-8 válido</translation>
    </message>
    <message>
        <source>%1 contains a control character</source>
        <translation>%1 tiene un carácter de control</translation>
    </message>
    <message>
        <source>%1 has spaces at the start or the end</source>
        <translation>%1 tiene espacios al principio o al final</translation>
    </message>
    <message>
        <source>%1 has more than %2 digits</source>
        <translation>%1 tiene más de %2 dígitos</translation>
    </message>
    <message>
        <source>%1 must contain only digits</source>
        <translation>%1 debe tener solo dígitos</translation>
    </message>
    <message>
        <source>%1 is not a real date in YYYY-MM-DD form</source>
        <translation>%1 no es una fecha real con la forma AAAA-MM-DD</translation>
    </message>
    <message>
        <source>%1 is before %2</source>
        <translation>%1 es anterior a %2</translation>
    </message>
    <message>
        <source>%1 is in the future</source>
        <translation>%1 está en el futuro</translation>
    </message>
    <message>
        <source>%1 is above %2</source>
        <translation>%1 es mayor que %2</translation>
    </message>
    <message>
        <source>%1 is not a whole number</source>
        <translation>%1 no es un número entero</translation>
    </message>
    <message>
        <source>The server kept missing a batch of this upload, even after starting again from what it stored. Tell the lottery&apos;s support.</source>
        <translation>Al servidor le siguió faltando un lote de esta subida, aun después de volver a empezar desde lo que tenía guardado. Avise al soporte de la lotería.</translation>
    </message>
    <message>
        <source>The server holds other bets under this upload&apos;s batch numbers, even after starting again from what it stored. Check that this is the file that was uploaded, then tell the lottery&apos;s support.</source>
        <translation>El servidor tiene otras apuestas con los números de lote de esta subida, aun después de volver a empezar desde lo que tenía guardado. Revise que sea el archivo que se subió y avise al soporte de la lotería.</translation>
    </message>
    <message>
        <source>The server did not understand this agency</source>
        <translation>El servidor no entendió a esta agencia</translation>
    </message>
    <message>
        <source>Protocol version mismatch</source>
        <translation>Versión de protocolo distinta</translation>
    </message>
    <message>
        <source>Agency refused by the server</source>
        <translation>El servidor rechazó la agencia</translation>
    </message>
    <message>
        <source>Batch rejected by the server</source>
        <translation>El servidor rechazó un lote</translation>
    </message>
    <message>
        <source>The server&apos;s record of this agency changed</source>
        <translation>Cambió lo que el servidor tiene guardado de esta agencia</translation>
    </message>
    <message>
        <source>This agency&apos;s upload is already closed</source>
        <translation>La subida de esta agencia ya está cerrada</translation>
    </message>
    <message>
        <source>The server could not store the bets</source>
        <translation>El servidor no pudo guardar las apuestas</translation>
    </message>
    <message>
        <source>Agency token refused</source>
        <translation>Token de la agencia rechazado</translation>
    </message>
    <message>
        <source>The server is busy</source>
        <translation>El servidor está ocupado</translation>
    </message>
    <message>
        <source>The server is stopping</source>
        <translation>El servidor se está apagando</translation>
    </message>
    <message>
        <source>The server gave up waiting</source>
        <translation>El servidor dejó de esperar</translation>
    </message>
    <message>
        <source>Another upload of this agency took over</source>
        <translation>Otra subida de esta agencia tomó su lugar</translation>
    </message>
    <message>
        <source>Error in the server</source>
        <translation>Error en el servidor</translation>
    </message>
    <message>
        <source>Error from the server</source>
        <translation>Error del servidor</translation>
    </message>
    <message>
        <source>Invalid settings</source>
        <translation>Datos inválidos</translation>
    </message>
    <message>
        <source>Cannot read the bets file</source>
        <translation>No se puede leer el archivo de apuestas</translation>
    </message>
    <message>
        <source>Wrong bets file</source>
        <translation>Archivo de apuestas equivocado</translation>
    </message>
    <message>
        <source>The server already holds more bets of this agency than this file has. Check the agency number and the file.</source>
        <translation>El servidor ya tiene más apuestas de esta agencia que las que hay en este archivo. Revise el número de agencia y el archivo.</translation>
    </message>
    <message>
        <source>Server unreachable</source>
        <translation>No se llega al servidor</translation>
    </message>
    <message>
        <source>The server&apos;s name is unknown. Check the server address.</source>
        <translation>No se conoce el nombre del servidor. Revise la dirección del servidor.</translation>
    </message>
    <message>
        <source>Secure connection failed</source>
        <translation>Falló la conexión segura</translation>
    </message>
    <message>
        <source>Connection lost</source>
        <translation>Se perdió la conexión</translation>
    </message>
    <message>
        <source>The server stopped answering</source>
        <translation>El servidor dejó de responder</translation>
    </message>
    <message>
        <source>Unexpected answer from the server</source>
        <translation>Respuesta inesperada del servidor</translation>
    </message>
    <message>
        <source>The server lost confirmed bets</source>
        <translation>El servidor perdió apuestas confirmadas</translation>
    </message>
    <message>
        <source>The server now holds fewer bets than it had confirmed. Tell the lottery&apos;s support before retrying.</source>
        <translation>El servidor ahora tiene menos apuestas que las que había confirmado. Avise al soporte de la lotería antes de reintentar.</translation>
    </message>
    <message>
        <source>Upload failed</source>
        <translation>Falló la subida</translation>
    </message>
</context>
<context>
    <name>lottery::agency::ServerAddress</name>
    <message>
        <source>bad server address &apos;%1&apos;: %2</source>
        <translation>dirección de servidor incorrecta &apos;%1&apos;: %2</translation>
    </message>
    <message>
        <source>unclosed &apos;[&apos; around an IPv6 address</source>
        <translation>falta cerrar el &apos;[&apos; de una dirección IPv6</translation>
    </message>
    <message>
        <source>expected HOST:PORT</source>
        <translation>se esperaba HOST:PUERTO</translation>
    </message>
    <message>
        <source>write an IPv6 address in brackets, [::1]:PORT</source>
        <translation>escriba una dirección IPv6 entre corchetes, [::1]:PUERTO</translation>
    </message>
    <message>
        <source>the host is empty</source>
        <translation>falta el host</translation>
    </message>
    <message>
        <source>the host contains a space or a comma</source>
        <translation>el host tiene un espacio o una coma</translation>
    </message>
    <message>
        <source>the port must be a number in 1..65535</source>
        <translation>el puerto debe ser un número entre 1 y 65535</translation>
    </message>
    <message>
        <source>an empty entry in the list</source>
        <translation>la lista tiene una entrada vacía</translation>
    </message>
    <message>
        <source>%1 is listed twice</source>
        <translation>%1 está dos veces en la lista</translation>
    </message>
</context>
<context>
    <name>lottery::agency::TokenFile</name>
    <message>
        <source>the token is empty</source>
        <translation>el token está vacío</translation>
    </message>
    <message>
        <source>the token is longer than %1 bytes (%2)</source>
        <translation>el token tiene más de %1 bytes (%2)</translation>
    </message>
    <message>
        <source>the token is not valid UTF-8</source>
        <translation>el token no es UTF-8 válido</translation>
    </message>
    <message>
        <source>the token holds a non-printable character (U+%1) at character %2</source>
        <translation>el token tiene un carácter no imprimible (U+%1) en el carácter %2</translation>
    </message>
    <message>
        <source>the token has leading or trailing white space</source>
        <translation>el token tiene espacios en blanco al principio o al final</translation>
    </message>
    <message>
        <source>token file &apos;%1&apos;</source>
        <translation>archivo del token &apos;%1&apos;</translation>
    </message>
</context>
<context>
    <name>lottery::gui::AgencyWindow</name>
    <message>
        <source>Lotería: agency upload</source>
        <translation>Lotería: subida de la agencia</translation>
    </message>
    <message>
        <source>Upload settings</source>
        <translation>Datos de la subida</translation>
    </message>
    <message>
        <source>The server&apos;s TCP port</source>
        <translation>El puerto TCP del servidor</translation>
    </message>
    <message>
        <source>This agency&apos;s number, as the lottery assigned it</source>
        <translation>El número de esta agencia, el que asignó la lotería</translation>
    </message>
    <message>
        <source>choose or drop a CSV file</source>
        <translation>elija o arrastre un archivo CSV</translation>
    </message>
    <message>
        <source>&amp;Browse...</source>
        <translation>&amp;Buscar...</translation>
    </message>
    <message>
        <source>Choose the agency&apos;s bets file</source>
        <translation>Elija el archivo de apuestas de la agencia</translation>
    </message>
    <message>
        <source>Bets sent in each batch</source>
        <translation>Apuestas que se envían en cada lote</translation>
    </message>
    <message>
        <source>CA certificate (PEM) for TLS; empty: no TLS</source>
        <translation>certificado de la CA (PEM) para TLS; vacío: sin TLS</translation>
    </message>
    <message>
        <source>Br&amp;owse...</source>
        <translation>Bu&amp;scar...</translation>
    </message>
    <message>
        <source>Choose the CA certificate</source>
        <translation>Elija el certificado de la CA</translation>
    </message>
    <message>
        <source>file holding the agency&apos;s token; empty: none</source>
        <translation>archivo con el token de la agencia; vacío: ninguno</translation>
    </message>
    <message>
        <source>Bro&amp;wse...</source>
        <translation>Busc&amp;ar...</translation>
    </message>
    <message>
        <source>Choose the token file</source>
        <translation>Elija el archivo del token</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Idioma del sistema</translation>
    </message>
    <message>
        <source>The language of this app; it changes on the next start</source>
        <translation>El idioma de esta aplicación; cambia la próxima vez que se abre</translation>
    </message>
    <message>
        <source>&amp;Port</source>
        <translation>&amp;Puerto</translation>
    </message>
    <message>
        <source>&amp;Server</source>
        <translation>Ser&amp;vidor</translation>
    </message>
    <message>
        <source>&amp;Agency</source>
        <translation>A&amp;gencia</translation>
    </message>
    <message>
        <source>Bets &amp;file</source>
        <translation>Arc&amp;hivo de apuestas</translation>
    </message>
    <message>
        <source>Batch si&amp;ze</source>
        <translation>&amp;Tamaño del lote</translation>
    </message>
    <message>
        <source>&amp;CA file</source>
        <translation>Archivo de la &amp;CA</translation>
    </message>
    <message>
        <source>&amp;Token file</source>
        <translation>Archivo del t&amp;oken</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Idioma</translation>
    </message>
    <message>
        <source>Bets file</source>
        <translation>Archivo de apuestas</translation>
    </message>
    <message>
        <source>No file read yet.</source>
        <translation>Todavía no se leyó ningún archivo.</translation>
    </message>
    <message>
        <source>Upload</source>
        <translation>Subida</translation>
    </message>
    <message>
        <source>&amp;Upload</source>
        <translation>S&amp;ubir</translation>
    </message>
    <message>
        <source>Send the bets to the server (Enter)</source>
        <translation>Envía las apuestas al servidor (Enter)</translation>
    </message>
    <message>
        <source>Ca&amp;ncel</source>
        <translation>Ca&amp;ncelar</translation>
    </message>
    <message>
        <source>Stop the upload; the server keeps what it stored (Esc)</source>
        <translation>Detiene la subida; el servidor conserva lo que ya guardó (Esc)</translation>
    </message>
    <message>
        <source>Winners of this agency</source>
        <translation>Ganadores de esta agencia</translation>
    </message>
    <message>
        <source>The winners appear here after the draw.</source>
        <translation>Los ganadores aparecen aquí después del sorteo.</translation>
    </message>
    <message>
        <source>&amp;Export winners...</source>
        <translation>&amp;Exportar ganadores...</translation>
    </message>
    <message>
        <source>Save the winners as a CSV file</source>
        <translation>Guarda los ganadores en un archivo CSV</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>Registro</translation>
    </message>
    <message>
        <source>Reading %1...</source>
        <translation>Leyendo %1...</translation>
    </message>
    <message>
        <source>Reading the file... %1 %</source>
        <translation>Leyendo el archivo... %1 %</translation>
    </message>
    <message>
        <source>Cannot read the file: %1</source>
        <translation>No se puede leer el archivo: %1</translation>
    </message>
    <message>
        <source>No file chosen.</source>
        <translation>No se eligió ningún archivo.</translation>
    </message>
    <message>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation>Archivos CSV (*.csv);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>PEM certificates (*.pem *.crt);;All files (*)</source>
        <translation>Certificados PEM (*.pem *.crt);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Choose the agency&apos;s token file</source>
        <translation>Elija el archivo del token de la agencia</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>Todos los archivos (*)</translation>
    </message>
    <message>
        <source>The language changes the next time the app starts.</source>
        <translation>El idioma cambia la próxima vez que se abre la aplicación.</translation>
    </message>
    <message>
        <source>Export winners</source>
        <translation>Exportar ganadores</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Archivos CSV (*.csv)</translation>
    </message>
    <message>
        <source>Winners exported to %1</source>
        <translation>Ganadores exportados a %1</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>No se pudo exportar</translation>
    </message>
    <message>
        <source>Status: %1</source>
        <translation>Estado: %1</translation>
    </message>
    <message>
        <source>&amp;Retry</source>
        <translation>&amp;Reintentar</translation>
    </message>
    <message>
        <source>%1 of %2 bets (%3 %)</source>
        <translation>%1 de %2 apuestas (%3 %)</translation>
    </message>
    <message>
        <source>%1 bets/s</source>
        <translation>%1 apuestas/s</translation>
    </message>
    <message>
        <source>%1 on average</source>
        <translation>%1 en promedio</translation>
    </message>
    <message>
        <source>time left unknown</source>
        <translation>tiempo restante desconocido</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>faltan %1</translation>
    </message>
    <message>
        <source>%1 bets to send, %2 invalid rows (not sent), %3 winning numbers.</source>
        <translation>%1 apuestas para enviar, %2 filas inválidas (no se envían), %3 números ganadores.</translation>
    </message>
    <message>
        <source>The table lists the first %1.</source>
        <translation>La tabla muestra las primeras %1.</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt;: %2&lt;br&gt;Check the settings or the server, then press Retry.</source>
        <translation>&lt;b&gt;%1&lt;/b&gt;: %2&lt;br&gt;Revise los datos o el servidor y pulse Reintentar.</translation>
    </message>
    <message>
        <source>1 winner</source>
        <translation>1 ganador</translation>
    </message>
    <message>
        <source>%1 winners</source>
        <translation>%1 ganadores</translation>
    </message>
    <message>
        <source>host, or host:port,host:port to fail over in order</source>
        <translation>host, o host:puerto,host:puerto para pasar al siguiente en orden</translation>
    </message>
    <message>
        <source>One server, or a comma-separated list tried in order when one is lost; an entry without a port uses the Port field.</source>
        <translation>Un servidor, o una lista separada por comas que se prueba en orden cuando se pierde uno; una entrada sin puerto usa el campo Puerto.</translation>
    </message>
</context>
<context>
    <name>lottery::gui::InvalidRowsModel</name>
    <message>
        <source>Line</source>
        <translation>Línea</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Motivo</translation>
    </message>
</context>
<context>
    <name>lottery::gui::UploadController</name>
    <message>
        <source>Ready</source>
        <translation>Listo</translation>
    </message>
    <message>
        <source>Reading the bets file</source>
        <translation>Leyendo el archivo de apuestas</translation>
    </message>
    <message>
        <source>Connecting</source>
        <translation>Conectando</translation>
    </message>
    <message>
        <source>Sending bets</source>
        <translation>Enviando apuestas</translation>
    </message>
    <message>
        <source>Waiting for the draw</source>
        <translation>Esperando el sorteo</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Terminado</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Falló</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Cancelado</translation>
    </message>
    <message>
        <source>Cannot read the bets file</source>
        <translation>No se puede leer el archivo de apuestas</translation>
    </message>
    <message>
        <source>%1: %2 valid bets, %3 invalid rows</source>
        <translation>%1: %2 apuestas válidas, %3 filas inválidas</translation>
    </message>
    <message>
        <source>No bets file</source>
        <translation>Falta el archivo de apuestas</translation>
    </message>
    <message>
        <source>choose the agency&apos;s bets file first</source>
        <translation>primero elija el archivo de apuestas de la agencia</translation>
    </message>
    <message>
        <source>Connection attempt %1 failed (%2); retrying in %3 ms</source>
        <translation>Falló el intento de conexión %1 (%2); se reintenta en %3 ms</translation>
    </message>
    <message>
        <source>All %1 bets stored by the server; waiting for the draw</source>
        <translation>El servidor guardó las %1 apuestas; esperando el sorteo</translation>
    </message>
    <message>
        <source>Details: %1</source>
        <translation>Detalle: %1</translation>
    </message>
    <message>
        <source>Could not look the winners up in the file: %1</source>
        <translation>No se pudieron buscar los ganadores en el archivo: %1</translation>
    </message>
    <message>
        <source>Upload cancelled after %1 of %2 bets; Upload resumes it</source>
        <translation>Subida cancelada después de %1 de %2 apuestas; Subir la retoma</translation>
    </message>
    <message>
        <source>Error: %1: %2</source>
        <translation>Error: %1: %2</translation>
    </message>
    <message>
        <source>Draw done: 1 winner for this agency</source>
        <translation>Sorteo hecho: 1 ganador para esta agencia</translation>
    </message>
    <message>
        <source>Draw done: %1 winners for this agency</source>
        <translation>Sorteo hecho: %1 ganadores para esta agencia</translation>
    </message>
    <message>
        <source>Cannot use the token file</source>
        <translation>No se puede usar el archivo del token</translation>
    </message>
    <message>
        <source>Uploading %1 bets of agency %2 to %3 in batches of %4</source>
        <translation>Subiendo %1 apuestas de la agencia %2 a %3 en lotes de %4</translation>
    </message>
    <message>
        <source>Connection lost (%1); trying the next server</source>
        <translation>Se perdió la conexión (%1); se prueba con el siguiente servidor</translation>
    </message>
    <message>
        <source>Connected to %1; the server already holds %2 bets, resuming after them</source>
        <translation>Conectado a %1; el servidor ya tiene %2 apuestas, se sigue después de ellas</translation>
    </message>
    <message>
        <source>Connected to %1</source>
        <translation>Conectado a %1</translation>
    </message>
</context>
<context>
    <name>lottery::gui::WinnersModel</name>
    <message>
        <source>cannot write %1: %2</source>
        <translation>no se puede escribir %1: %2</translation>
    </message>
    <message>
        <source>(not in the local file)</source>
        <translation>(no está en el archivo local)</translation>
    </message>
    <message>
        <source>Document</source>
        <translation>Documento</translation>
    </message>
    <message>
        <source>First name</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <source>Last name</source>
        <translation>Apellido</translation>
    </message>
    <message>
        <source>Number</source>
        <translation>Número</translation>
    </message>
</context>
</TS>
