/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RTE_PMD_BYPASS_H
#define RTE_PMD_BYPASS_H

/**
 * @file
 * net_bypass: which path a bypass port transmits on, and why; and a way
 * to hold tx on the backup (virtio) sub-port for a maintenance window.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Why tx is on the path it is on. */
enum rte_pmd_bypass_reason {
	RTE_PMD_BYPASS_REASON_ACTIVE_UP = 0,	   /**< on the active: started, link up */
	RTE_PMD_BYPASS_REASON_NO_ACTIVE = 1,	   /**< backup: no active sub-port attached */
	RTE_PMD_BYPASS_REASON_ACTIVE_DOWN = 2,	   /**< backup: active attached, link down */
	RTE_PMD_BYPASS_REASON_REMOVING = 3,	   /**< backup: active being released */
	RTE_PMD_BYPASS_REASON_FORCED = 4,	   /**< backup: rte_pmd_bypass_force_backup() */
	RTE_PMD_BYPASS_REASON_STOPPED = 5,	   /**< the bypass port is stopped */
	RTE_PMD_BYPASS_REASON_NO_BACKUP = 6,	   /**< active, link down or held: no backup left */
	RTE_PMD_BYPASS_REASON_NO_PATH = 7,	   /**< neither sub-port can transmit */
	RTE_PMD_BYPASS_REASON_ACTIVE_UNUSABLE = 8, /**< backup: the active was given up on */
	RTE_PMD_BYPASS_REASON_ACTIVE_RESETTING = 9, /**< backup: the active is being reset or
						     *   recovers from an error */
};

/** The two paths of a bypass port. */
enum rte_pmd_bypass_path {
	RTE_PMD_BYPASS_PATH_BACKUP = 0, /**< the virtio sub-port */
	RTE_PMD_BYPASS_PATH_ACTIVE = 1, /**< the VF */
};

/** A bypass port's paths. */
struct rte_pmd_bypass_state {
	uint16_t backup_port;		   /**< the backup sub-port, RTE_MAX_ETHPORTS if none */
	uint16_t active_port;		   /**< the active sub-port, RTE_MAX_ETHPORTS if none */
	int on_active;			   /**< 1 while tx goes to the active sub-port */
	enum rte_pmd_bypass_reason reason; /**< why */
};

/**
 * Reads which path a bypass port transmits on and why.
 * @return 0, -ENODEV if port_id is not a bypass port, -EINVAL if state is NULL.
 */
int rte_pmd_bypass_state_get(uint16_t port_id, struct rte_pmd_bypass_state *state);

/**
 * Holds tx on the backup sub-port (on != 0) until released (on == 0). The
 * active sub-port stays attached and configured; rx still polls it.
 * @return 0, or -ENODEV if port_id is not a bypass port.
 */
int rte_pmd_bypass_force_backup(uint16_t port_id, int on);

/**
 * Why net_bypass gave up on the last port offered for a path (one that
 * cannot take the port's configuration, or refused a setting for good):
 * the port stays owned and unused until it is removed.
 * @param reason
 *   Filled with a one-line reason, or "" (may be NULL).
 * @return 1 if it gave up (the port's current sub-port for that path, if
 *   any, is not that port), 0 if not, -ENODEV if port_id is not a bypass
 *   port, -EINVAL for a bad path.
 */
int rte_pmd_bypass_giveup_get(uint16_t port_id, enum rte_pmd_bypass_path path, char *reason,
			      size_t size);

/**
 * The rx filtering a sub-port may refuse and still be used, as Linux's
 * net_failover does with its slaves' rx mode: a VF whose PF does not trust
 * it (iavf, SR-IOV in OpenStack and Kubernetes) refuses promiscuous and
 * all-multicast mode, and takes a bounded number of MAC addresses and VLAN
 * filters. It then carries the traffic addressed to the port's own MAC
 * without what it refused. Bits of rte_pmd_bypass_refusals.missing.
 */
enum rte_pmd_bypass_filter {
	RTE_PMD_BYPASS_FILTER_PROMISCUOUS = 1u << 0,  /**< promiscuous mode, on or off */
	RTE_PMD_BYPASS_FILTER_ALLMULTICAST = 1u << 1, /**< all-multicast mode, on or off */
	RTE_PMD_BYPASS_FILTER_MAC_ADDR = 1u << 2,     /**< an added MAC address */
	RTE_PMD_BYPASS_FILTER_MC_LIST = 1u << 3,      /**< the multicast address list */
	RTE_PMD_BYPASS_FILTER_VLAN = 1u << 4,	      /**< a VLAN filter, added or removed */
};
/** What the sub-ports of a path refused of the port's rx filtering. */
struct rte_pmd_bypass_refusals {
	/** rte_pmd_bypass_filter bits: what the sub-port now on the path
	 * runs without, until it takes it (a later call the sub-port
	 * accepts, or a new sub-port that takes it on attach). */
	uint32_t missing;
	/** Negative errno of the latest refusal on the path; 0 if none. */
	int last_error;
	/** Refusals on the path since the port was created. */
	uint64_t count;
};
/**
 * Reads what the sub-ports of a path refused of the port's rx filtering:
 * settings the port kept although that sub-port did not take them.
 * @return 0, -ENODEV if port_id is not a bypass port, -EINVAL for a bad
 *   path or a NULL refusals.
 */
int rte_pmd_bypass_refusals_get(uint16_t port_id, enum rte_pmd_bypass_path path,
				struct rte_pmd_bypass_refusals *refusals);
/** A short text for a reason, for logs. */
const char *rte_pmd_bypass_reason_str(enum rte_pmd_bypass_reason reason);

#ifdef __cplusplus
}
#endif

#endif /* RTE_PMD_BYPASS_H */
