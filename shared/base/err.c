/* err: text for the error codes of err.h. */
#include "err.h"

static const char *const texts[] = {
#define ERR_TEXT(name, text) text,
    ERR_LIST(ERR_TEXT)
#undef ERR_TEXT
};

const char *
err_str(int code)
{
    if (code == 0)
        return "success";
    if (code <= ERR_BASE_ || code >= ERR_END_)
        return "unknown error";
    return texts[code - ERR_BASE_ - 1];
}
