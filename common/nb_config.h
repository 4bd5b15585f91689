/* nb_config.h - every config header at once: the engine and both schemas.
 *
 * nb_config_engine.h      key tables, JSON load, --set, validate, save, enum words
 * nb_processing_config.h  nb_processing_config, nb_processing_schema, importance flags, the
 *                         reader of the config stored in /bundle
 * nb_rendering_config.h   nb_rendering_config, nb_rendering_schema
 * Code that needs one schema may include its header alone.
 */
#ifndef NB_CONFIG_H
#define NB_CONFIG_H

#include "nb_config_engine.h"
#include "nb_processing_config.h"
#include "nb_rendering_config.h"

#endif /* NB_CONFIG_H */
