/** See the module description. */
package io.overlaybd.lsmt;
