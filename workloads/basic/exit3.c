/* Exits with code 3 through semihosting. */
#include <stdlib.h>

int main(void) {
  exit(3);
}
