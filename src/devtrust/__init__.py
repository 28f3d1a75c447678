# SPDX-License-Identifier: BSD-3-Clause
"""devtrust: confidential PCIe device acceptance, from the wire to the kernel trust level."""

__version__ = "0.1.0"
__all__ = ["__version__"]
